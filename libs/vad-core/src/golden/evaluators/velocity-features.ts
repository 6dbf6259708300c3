import { velocityFeatures } from '../../features/velocity';
import { type Comparison, type GoldenCase, compareArrays, goldenFloat32, goldenNumber } from '../golden-case';

/** `velocity_features`: flow [2,H,W] and boxes [M,4] → mean speed per direction bin [M,B]. */
export function evaluateVelocityFeatures(c: GoldenCase): Comparison[] {
  const flow = goldenFloat32(c.inputs['flow'], 'inputs.flow');
  const boxes = goldenFloat32(c.inputs['boxes'], 'inputs.boxes');
  const got = velocityFeatures(flow, boxes, goldenNumber(c.params['n_bins'], 'params.n_bins'));
  return [compareArrays('features', got.data, got.shape, c.expected['features'], c.tolerance)];
}
