import { VadError } from '../../errors';
import { postprocessRegions } from '../../regions/postprocess';
import { type Comparison, type GoldenCase, compareArrays, goldenFloat32, goldenInt32, isGoldenArray } from '../golden-case';

/** `region_postprocess`: kept indices (ascending-area order) and the kept boxes in that order. */
export function evaluateRegionPostprocess(c: GoldenCase): Comparison[] {
  const boxes = goldenFloat32(c.inputs['boxes'], 'inputs.boxes');
  const labels = goldenInt32(c.inputs['labels'], 'inputs.labels');
  const p = c.params;
  if (typeof p['persons_only'] !== 'boolean' || typeof p['min_bbox_area'] !== 'number' || typeof p['max_bbox_overlap'] !== 'number') {
    throw new VadError('bad_argument', `${c.file}: params need persons_only, min_bbox_area and max_bbox_overlap`);
  }
  const kept = postprocessRegions(boxes.data, labels.data, {
    personsOnly: p['persons_only'],
    minBboxArea: p['min_bbox_area'],
    maxBboxOverlap: p['max_bbox_overlap'],
  });
  // The kept boxes are the input boxes, selected: compare the case's own decimals (float32 would
  // be off by more than the case's atol of 1e-6 at coordinates near 360).
  const raw = isGoldenArray(c.inputs['boxes']) ? c.inputs['boxes'].data : Array.from(boxes.data);
  const keptBoxes = Array.from(kept).flatMap((i) => raw.slice(4 * i, 4 * i + 4));
  const exact = { atol: 0, rtol: 0 };
  return [
    compareArrays('kept_indices', kept, [kept.length], c.expected['kept_indices'], exact),
    compareArrays('boxes', keptBoxes, [kept.length, 4], c.expected['boxes'], c.tolerance),
  ];
}
