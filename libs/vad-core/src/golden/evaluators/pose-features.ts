import { poseFeatures } from '../../features/pose';
import { type Comparison, type GoldenCase, compareArrays, goldenFloat32 } from '../golden-case';

/** `pose_features`: keypoints [M,17,3] and boxes [M,4] → box-normalised keypoints [M,34]. */
export function evaluatePoseFeatures(c: GoldenCase): Comparison[] {
  const keypoints = goldenFloat32(c.inputs['keypoints'], 'inputs.keypoints');
  const boxes = goldenFloat32(c.inputs['boxes'], 'inputs.boxes');
  const got = poseFeatures(keypoints, boxes);
  return [compareArrays('features', got.data, got.shape, c.expected['features'], c.tolerance)];
}
