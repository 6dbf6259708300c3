import { VadError } from '../errors';
import { type Boxes, type Float32Tensor, tensor } from '../tensor';

export const POSE_KEYPOINTS = 17;
export const POSE_FEATURE_DIM = 2 * POSE_KEYPOINTS;

/**
 * Smallest box side the pose features divide by. anomalib divides by (x2 − x1) as is, so a
 * zero-width box gives inf/NaN that would poison every kNN distance. We clamp the side to 1 px:
 * torchvision's roi_align (aligned=false) — which the keypoint head samples the box with — already
 * treats any RoI side below 1 px as 1 px, so a keypoint of such a box lies within ~1 px of x1 and the
 * feature stays O(1), like every other pose feature. Boxes ≥ 1 px (all that pass min_bbox_area in
 * practice) are divided exactly as anomalib does.
 */
export const POSE_MIN_BOX_SIDE = 1;

/**
 * anomalib `PoseExtractor._post_process`: keypoints [M, 17, 3] (x, y, score in image pixels) and
 * their boxes [M, 4] xyxy → [M, 34] = ((x − x1)/(x2 − x1), (y − y1)/(y2 − y1)) per keypoint.
 * Computed in float32 step by step, as torch does.
 */
export function poseFeatures(keypoints: Float32Tensor, boxes: Boxes): Float32Tensor {
  const ks = keypoints.shape;
  if (ks.length !== 3 || ks[1] !== POSE_KEYPOINTS || (ks[2] !== 3 && ks[2] !== 2)) {
    throw new VadError('bad_argument', `poseFeatures: keypoints must be [M, 17, 3] (x, y, score), got [${ks.join(', ')}]`);
  }
  if (boxes.shape.length !== 2 || boxes.shape[1] !== 4) {
    throw new VadError('bad_argument', `poseFeatures: boxes must be [M, 4] xyxy, got [${boxes.shape.join(', ')}]`);
  }
  const m = ks[0]!;
  if (boxes.shape[0] !== m) {
    throw new VadError('bad_argument', `poseFeatures: ${m} keypoint sets for ${boxes.shape[0]} boxes; run the keypoint model on exactly the region boxes`);
  }
  const stride = ks[2]!;
  const f32 = Math.fround;
  const kp = keypoints.data;
  const b = boxes.data;
  const out = new Float32Array(m * POSE_FEATURE_DIM);
  for (let i = 0; i < m; i++) {
    const x1 = b[i * 4]!;
    const y1 = b[i * 4 + 1]!;
    const w = Math.max(f32(b[i * 4 + 2]! - x1), POSE_MIN_BOX_SIDE);
    const h = Math.max(f32(b[i * 4 + 3]! - y1), POSE_MIN_BOX_SIDE);
    for (let k = 0; k < POSE_KEYPOINTS; k++) {
      const src = (i * POSE_KEYPOINTS + k) * stride;
      const dst = i * POSE_FEATURE_DIM + 2 * k;
      out[dst] = f32(kp[src]! - x1) / w;
      out[dst + 1] = f32(kp[src + 1]! - y1) / h;
    }
  }
  return tensor('float32', out, [m, POSE_FEATURE_DIM]);
}
