import { VadError } from '../../errors';
import { foregroundDetections } from '../../regions/foreground';
import { type Comparison, type GoldenCase, compareArrays, goldenFloat32 } from '../golden-case';

/**
 * `foreground`: boxes of the foreground detections. The golden stores them sorted by (ymin, xmin);
 * the stage emits component order (what the pipeline appends), so the sort happens only here.
 */
export function evaluateForeground(c: GoldenCase): Comparison[] {
  const first = goldenFloat32(c.inputs['first'], 'inputs.first');
  const last = goldenFloat32(c.inputs['last'], 'inputs.last');
  const detector = goldenFloat32(c.inputs['detector_boxes'], 'inputs.detector_boxes');
  const kernelSize = c.params['kernel_size'];
  const binaryThreshold = c.params['binary_threshold'];
  if (typeof kernelSize !== 'number' || typeof binaryThreshold !== 'number') {
    throw new VadError('bad_argument', `${c.file}: params need kernel_size and binary_threshold`);
  }
  const regions = foregroundDetections(first, last, detector.data, { kernelSize, binaryThreshold });
  const order = Array.from({ length: regions.count }, (_, i) => i);
  const b = regions.boxes;
  order.sort((i, j) => b[4 * i + 1] - b[4 * j + 1] || b[4 * i] - b[4 * j]);
  const sorted = new Float32Array(regions.count * 4);
  order.forEach((i, k) => sorted.set(b.subarray(4 * i, 4 * i + 4), 4 * k));
  return [compareArrays('boxes', sorted, [regions.count, 4], c.expected['boxes'], c.tolerance)];
}
