import { VadError } from '../errors';
import type { Detections } from './detector';

/** Where a region came from; stored per region as a small integer (Uint8Array). */
export const REGION_SOURCE = { detector: 0, foreground: 1 } as const;
export type RegionSourceCode = (typeof REGION_SOURCE)[keyof typeof REGION_SOURCE];

/**
 * The regions of one frame, struct-of-arrays: anomalib's per-image dict {boxes, labels, scores}
 * plus where each region came from. Boxes are xyxy pixels in the working space.
 */
export interface Regions {
  readonly count: number;
  /** [count * 4] x1, y1, x2, y2. */
  readonly boxes: Float32Array;
  /** [count] COCO ids for detector regions (person = 1); 0 for foreground regions. */
  readonly labels: Int32Array;
  /** [count] detector confidence; 0.5 for foreground regions (anomalib's constant). */
  readonly scores: Float32Array;
  /** [count] REGION_SOURCE codes. */
  readonly source: Uint8Array;
}

export function emptyRegions(): Regions {
  return { count: 0, boxes: new Float32Array(0), labels: new Int32Array(0), scores: new Float32Array(0), source: new Uint8Array(0) };
}

/** The detector's output as regions (source `detector`); the arrays are shared, not copied. */
export function regionsFromDetections(d: Detections): Regions {
  return { count: d.count, boxes: d.boxes, labels: d.labels, scores: d.scores, source: new Uint8Array(d.count).fill(REGION_SOURCE.detector) };
}

/** `a` then `b`: anomalib appends the foreground regions after the detector's. */
export function concatRegions(a: Regions, b: Regions): Regions {
  if (b.count === 0) return a;
  if (a.count === 0) return b;
  const count = a.count + b.count;
  const boxes = new Float32Array(count * 4);
  boxes.set(a.boxes.subarray(0, a.count * 4));
  boxes.set(b.boxes.subarray(0, b.count * 4), a.count * 4);
  const labels = new Int32Array(count);
  labels.set(a.labels.subarray(0, a.count));
  labels.set(b.labels.subarray(0, b.count), a.count);
  const scores = new Float32Array(count);
  scores.set(a.scores.subarray(0, a.count));
  scores.set(b.scores.subarray(0, b.count), a.count);
  const source = new Uint8Array(count);
  source.set(a.source.subarray(0, a.count));
  source.set(b.source.subarray(0, b.count), a.count);
  return { count, boxes, labels, scores, source };
}

/** The regions at `indices`, in that order (post-processing returns survivors in ascending area). */
export function selectRegions(r: Regions, indices: ArrayLike<number>): Regions {
  const count = indices.length;
  const boxes = new Float32Array(count * 4);
  const labels = new Int32Array(count);
  const scores = new Float32Array(count);
  const source = new Uint8Array(count);
  for (let k = 0; k < count; k++) {
    const i = indices[k];
    if (!(Number.isInteger(i) && i >= 0 && i < r.count)) {
      throw new VadError('bad_argument', `selectRegions: index ${i} is outside 0..${r.count - 1}`);
    }
    boxes[4 * k] = r.boxes[4 * i];
    boxes[4 * k + 1] = r.boxes[4 * i + 1];
    boxes[4 * k + 2] = r.boxes[4 * i + 2];
    boxes[4 * k + 3] = r.boxes[4 * i + 3];
    labels[k] = r.labels[i];
    scores[k] = r.scores[i];
    source[k] = r.source[i];
  }
  return { count, boxes, labels, scores, source };
}
