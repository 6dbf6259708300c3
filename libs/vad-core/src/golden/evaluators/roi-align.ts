import { roiAlign } from '../../features/roi-align';
import { type Comparison, type GoldenCase, compareArrays, goldenFloat32, goldenNumber } from '../golden-case';

/** `roi_align`: input [C,H,W] and boxes [M,4] → output [M,C,s,s], with the case's torchvision params. */
export function evaluateRoiAlign(c: GoldenCase): Comparison[] {
  const input = goldenFloat32(c.inputs['input'], 'inputs.input');
  const boxes = goldenFloat32(c.inputs['boxes'], 'inputs.boxes');
  const size = c.params['output_size'];
  const [outH, outW] = Array.isArray(size) ? size.map((v, i) => goldenNumber(v, `params.output_size[${i}]`)) : [7, 7];
  const got = roiAlign(input, boxes, outH!, outW!, {
    spatialScale: c.params['spatial_scale'] === undefined ? 1 : goldenNumber(c.params['spatial_scale'], 'params.spatial_scale'),
    samplingRatio: c.params['sampling_ratio'] === undefined ? -1 : goldenNumber(c.params['sampling_ratio'], 'params.sampling_ratio'),
    aligned: c.params['aligned'] === true,
  });
  return [compareArrays('output', got.data, got.shape, c.expected['output'], c.tolerance)];
}
