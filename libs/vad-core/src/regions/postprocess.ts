import { VadError } from '../errors';

export interface PostprocessOptions {
  /** anomalib `persons_only`: keep COCO label 1 only (drops every foreground region, label 0). */
  personsOnly: boolean;
  /** anomalib `min_bbox_area`: keep boxes with area strictly greater. */
  minBboxArea: number;
  /** anomalib `max_bbox_overlap`: drop a box whose intersection with a larger one exceeds this share of its own area. */
  maxBboxOverlap: number;
}

const PERSON = 1;
const f32 = Math.fround;

// torch computes box areas and overlaps on float32 boxes; rounding like it keeps `>` comparisons
// at the thresholds on the same side.
function boxArea(b: Float32Array, i: number): number {
  return f32(f32(b[4 * i + 2] - b[4 * i]) * f32(b[4 * i + 3] - b[4 * i + 1]));
}

/**
 * anomalib's post_process_bbox_detections, in its order: persons_only, then area > min_bbox_area,
 * then overlap removal. Overlap removal sorts the survivors by area ascending (stable), and drops
 * box i when its intersection with any *later* box j (larger or equal; dropped or not) divided by
 * area(i) exceeds maxBboxOverlap: small duplicates inside bigger boxes go, the big box stays.
 * Returns the indices (into `boxes`) of the kept regions in ascending-area order: anomalib's order.
 */
export function postprocessRegions(boxes: Float32Array, labels: Int32Array, opts: PostprocessOptions): Int32Array {
  const n = labels.length;
  if (boxes.length !== n * 4) {
    throw new VadError('bad_argument', `postprocessRegions: ${boxes.length / 4} boxes but ${n} labels; give one label per box`);
  }
  const candidates: number[] = [];
  const area = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    if (opts.personsOnly && labels[i] !== PERSON) continue;
    area[i] = boxArea(boxes, i);
    if (area[i] > opts.minBboxArea) candidates.push(i);
  }
  // Array.prototype.sort is stable: equal areas keep their input order (detector before foreground).
  candidates.sort((a, b) => area[a] - area[b]);
  const kept: number[] = [];
  for (let p = 0; p < candidates.length; p++) {
    const i = candidates[p];
    const x1 = boxes[4 * i];
    const y1 = boxes[4 * i + 1];
    const x2 = boxes[4 * i + 2];
    const y2 = boxes[4 * i + 3];
    let duplicate = false;
    for (let q = p + 1; q < candidates.length && !duplicate; q++) {
      const j = candidates[q];
      const w = f32(Math.min(x2, boxes[4 * j + 2]) - Math.max(x1, boxes[4 * j]));
      const h = f32(Math.min(y2, boxes[4 * j + 3]) - Math.max(y1, boxes[4 * j + 1]));
      if (w <= 0 || h <= 0) continue;
      duplicate = f32(f32(w * h) / area[i]) > opts.maxBboxOverlap;
    }
    if (!duplicate) kept.push(i);
  }
  return Int32Array.from(kept);
}
