import { VadError } from '../errors';
import type { Float32Tensor } from '../tensor';
import { REGION_SOURCE, type Regions, emptyRegions } from './regions';

export interface ForegroundOptions {
  /** anomalib `foreground_kernel_size` (odd). */
  kernelSize: number;
  /** anomalib `foreground_binary_threshold`, in grey levels (0–255). */
  binaryThreshold: number;
}

// anomalib gives every foreground region label 0 and confidence 0.5.
const FOREGROUND_LABEL = 0;
const FOREGROUND_SCORE = 0.5;
// Detector boxes are grown by this many pixels before their pixels leave the foreground mask.
const BOX_MARGIN = 2;
/** torchvision rgb_to_grayscale's weights. */
export const GREY = [0.2989, 0.587, 0.114] as const;

/** torchvision gaussian_blur's 1-D kernel for sigma = 0.3·((k − 1)/2 − 1) + 0.8 (its default). */
export function gaussianKernel1d(kernelSize: number): Float64Array {
  const sigma = 0.3 * ((kernelSize - 1) * 0.5 - 1) + 0.8;
  const half = (kernelSize - 1) / 2;
  const k = new Float64Array(kernelSize);
  let sum = 0;
  for (let i = 0; i < kernelSize; i++) {
    const x = (i - half) / sigma;
    k[i] = Math.exp(-0.5 * x * x);
    sum += k[i];
  }
  for (let i = 0; i < kernelSize; i++) k[i] /= sum;
  return k;
}

/** torch's 'reflect' padding index: reflect-101, the edge pixel is not repeated. */
function reflect101(i: number, n: number): number {
  if (n === 1) return 0;
  const period = 2 * n - 2;
  i %= period;
  if (i < 0) i += period;
  return i < n ? i : period - i;
}

/**
 * The foreground mask of anomalib's foreground detections (ai-vad-spec.md, stage 1.2), before
 * detector boxes are removed: grey(|blur(first) − blur(last)|) > threshold/255, blur per channel
 * with reflect-101 padding. 1 = foreground, row-major [H·W].
 *
 * The blur is linear, so blur(first) − blur(last) is computed as blur(first − last): the same
 * quantity (in float64, closer to exact than torch's float32), one blur instead of two. The 2-D
 * Gaussian is an outer product, so it runs as a horizontal then a vertical pass.
 */
export function foregroundMask(first: Float32Tensor, last: Float32Tensor, opts: ForegroundOptions): Uint8Array {
  const [c, h, w] = checkFrames(first, last);
  const k = opts.kernelSize;
  if (!(Number.isInteger(k) && k >= 1 && k % 2 === 1)) {
    throw new VadError('bad_argument', `foreground: kernelSize must be an odd positive integer (foreground_kernel_size), got ${k}`);
  }
  const kernel = gaussianKernel1d(k);
  const plane = h * w;
  // torch compares the float32 grey image with the threshold cast to float32.
  const threshold = Math.fround(opts.binaryThreshold / 255);
  const mask = new Uint8Array(plane);
  if (k === 3 && w >= 2 && h >= 2) maskFused3(first.data, last.data, h, w, kernel, threshold, mask);
  else maskTwoPass(first.data, last.data, c, h, w, kernel, threshold, mask);
  return mask;
}

/** foregroundMask without the fused 3-tap sweep: a horizontal then a vertical pass per channel (exported for the spec). */
export function foregroundMaskTwoPass(first: Float32Tensor, last: Float32Tensor, opts: ForegroundOptions): Uint8Array {
  const [c, h, w] = checkFrames(first, last);
  const mask = new Uint8Array(h * w);
  maskTwoPass(first.data, last.data, c, h, w, gaussianKernel1d(opts.kernelSize), Math.fround(opts.binaryThreshold / 255), mask);
  return mask;
}

function maskTwoPass(a: Float32Array, b: Float32Array, c: number, h: number, w: number, kernel: Float64Array, threshold: number, mask: Uint8Array): void {
  const plane = h * w;
  const { rows, grey } = scratchPlanes(plane);
  for (let ch = 0; ch < c; ch++) {
    blurRowsOfDifference(a, b, ch * plane, h, w, kernel, rows);
    blurColumnsIntoGrey(rows, h, w, kernel, GREY[ch], ch === 0, ch === c - 1 ? { mask, threshold } : undefined, grey);
  }
}

// Two float64 planes reused from call to call: allocating (and zeroing) them each time costs more
// than the blur itself. Calls are synchronous, so one set per thread is enough.
let scratch: { rows: Float64Array; grey: Float64Array } | undefined;
function scratchPlanes(plane: number): { rows: Float64Array; grey: Float64Array } {
  if (!scratch || scratch.rows.length < plane) scratch = { rows: new Float64Array(plane), grey: new Float64Array(plane) };
  return scratch;
}

/**
 * foregroundMask for the 3-tap kernel (the default) in one sweep over the rows: the horizontal pass
 * of each channel's difference row goes into a ring of three rows (with reflect-101, the rows any
 * output row needs are three consecutive ones), and the vertical pass, |·|, the grey weights and the
 * threshold follow at once, so the planes never leave the cache. Every value is computed with the
 * same float64 operations in the same order as the two-pass form (blurRowsOfDifference, then
 * blurColumnsIntoGrey per channel), so the mask is bit-identical to it.
 */
function maskFused3(a: Float32Array, b: Float32Array, h: number, w: number, kernel: Float64Array, threshold: number, mask: Uint8Array): void {
  const plane = h * w;
  const { rows, slotRow } = fusedRing(w);
  slotRow.fill(-1);
  const k0 = kernel[0];
  const k1 = kernel[1];
  const [wr, wg, wb] = GREY;
  for (let y = 0; y < h; y++) {
    const up = reflect101(y - 1, h);
    const down = reflect101(y + 1, h);
    for (let t = 0; t < 3; t++) {
      const yy = t === 0 ? up : t === 1 ? y : down;
      const slot = yy % 3;
      if (slotRow[slot] === yy) continue;
      slotRow[slot] = yy;
      for (let ch = 0; ch < 3; ch++) horizontalRow3(a, b, ch * plane + yy * w, w, k0, k1, rows, (3 * slot + ch) * w);
    }
    const ou = 3 * (up % 3) * w;
    const oc = 3 * (y % 3) * w;
    const od = 3 * (down % 3) * w;
    const o = y * w;
    for (let x = 0; x < w; x++) {
      let grey = wr * Math.abs(k0 * rows[ou + x] + k1 * rows[oc + x] + k0 * rows[od + x]);
      grey += wg * Math.abs(k0 * rows[ou + w + x] + k1 * rows[oc + w + x] + k0 * rows[od + w + x]);
      mask[o + x] = +(grey + wb * Math.abs(k0 * rows[ou + 2 * w + x] + k1 * rows[oc + 2 * w + x] + k0 * rows[od + 2 * w + x]) > threshold);
    }
  }
}

/**
 * One row of the 3-tap horizontal pass: (a − b) at `row`, blurred into `out` from `o`. A sliding
 * window; reflect-101 makes the missing neighbour at each end the pixel one further in.
 */
function horizontalRow3(a: Float32Array, b: Float32Array, row: number, w: number, k0: number, k1: number, out: Float64Array, o: number): void {
  let prev = a[row + 1] - b[row + 1];
  let cur = a[row] - b[row];
  for (let x = 0; x < w - 1; x++) {
    const next = a[row + x + 1] - b[row + x + 1];
    out[o + x] = k0 * prev + k1 * cur + k0 * next;
    prev = cur;
    cur = next;
  }
  out[o + w - 1] = k0 * prev + k1 * cur + k0 * prev;
}

// Nine float64 rows (three rows × three channels, row-major in one array) for maskFused3, reused.
let fusedScratch: { rows: Float64Array; slotRow: Int32Array; w: number } | undefined;
function fusedRing(w: number): { rows: Float64Array; slotRow: Int32Array } {
  if (!fusedScratch || fusedScratch.w !== w) fusedScratch = { rows: new Float64Array(9 * w), slotRow: new Int32Array(3), w };
  return fusedScratch;
}

/** Horizontal pass of the blur over (a − b) of one channel plane starting at `off`. */
function blurRowsOfDifference(a: Float32Array, b: Float32Array, off: number, h: number, w: number, kernel: Float64Array, out: Float64Array): void {
  const k = kernel.length;
  const pad = (k - 1) >> 1;
  if (k === 3 && w >= 2) {
    const k0 = kernel[0];
    const k1 = kernel[1];
    for (let y = 0; y < h; y++) horizontalRow3(a, b, off + y * w, w, k0, k1, out, y * w);
    return;
  }
  // Any other kernel: the difference row, reflect-padded, then the taps over contiguous values.
  const padded = new Float64Array(w + 2 * pad);
  for (let y = 0; y < h; y++) {
    const row = off + y * w;
    for (let x = 0; x < w; x++) padded[x + pad] = a[row + x] - b[row + x];
    for (let p = 1; p <= pad; p++) {
      padded[pad - p] = padded[pad + reflect101(-p, w)];
      padded[pad + w - 1 + p] = padded[pad + reflect101(w - 1 + p, w)];
    }
    const o = y * w;
    for (let x = 0; x < w; x++) {
      let s = 0;
      for (let t = 0; t < k; t++) s += kernel[t] * padded[x + t];
      out[o + x] = s;
    }
  }
}

/**
 * Vertical pass of the blur, then |·| weighted into the grey image: grey = w·|v| for the first
 * channel, grey += w·|v| after; the last channel thresholds instead of storing (same sum order as
 * torch's 0.2989·r + 0.587·g + 0.114·b).
 */
function blurColumnsIntoGrey(
  src: Float64Array,
  h: number,
  w: number,
  kernel: Float64Array,
  weight: number,
  firstChannel: boolean,
  out: { mask: Uint8Array; threshold: number } | undefined,
  grey: Float64Array,
): void {
  const k = kernel.length;
  const pad = (k - 1) >> 1;
  const rowOfs = new Int32Array(k);
  const acc = k === 3 ? new Float64Array(0) : new Float64Array(w);
  const k0 = kernel[0];
  const k1 = kernel[pad];
  for (let y = 0; y < h; y++) {
    for (let t = 0; t < k; t++) rowOfs[t] = reflect101(y + t - pad, h) * w;
    const o = y * w;
    if (k === 3) {
      const up = rowOfs[0];
      const down = rowOfs[2];
      // Math.abs, not a ternary: the sign of a difference is random, and a branch mispredicts.
      if (out) {
        const mask = out.mask;
        const t = out.threshold;
        for (let x = 0; x < w; x++) mask[o + x] = +(grey[o + x] + weight * Math.abs(k0 * src[up + x] + k1 * src[o + x] + k0 * src[down + x]) > t);
      } else if (firstChannel) {
        for (let x = 0; x < w; x++) grey[o + x] = weight * Math.abs(k0 * src[up + x] + k1 * src[o + x] + k0 * src[down + x]);
      } else {
        for (let x = 0; x < w; x++) grey[o + x] += weight * Math.abs(k0 * src[up + x] + k1 * src[o + x] + k0 * src[down + x]);
      }
      continue;
    }
    // Any other kernel: accumulate the taps row by row (contiguous reads), then combine.
    for (let t = 0; t < k; t++) {
      const kw = kernel[t];
      const r = rowOfs[t];
      if (t === 0) for (let x = 0; x < w; x++) acc[x] = kw * src[r + x];
      else for (let x = 0; x < w; x++) acc[x] += kw * src[r + x];
    }
    if (out) {
      const mask = out.mask;
      const th = out.threshold;
      if (firstChannel) for (let x = 0; x < w; x++) mask[o + x] = +(weight * Math.abs(acc[x]) > th);
      else for (let x = 0; x < w; x++) mask[o + x] = +(grey[o + x] + weight * Math.abs(acc[x]) > th);
    } else if (firstChannel) {
      for (let x = 0; x < w; x++) grey[o + x] = weight * Math.abs(acc[x]);
    } else {
      for (let x = 0; x < w; x++) grey[o + x] += weight * Math.abs(acc[x]);
    }
  }
}

/**
 * Clears the pixels of each detector box grown by 2 px on every side, clipped to the image, with
 * coordinates truncated to integers and both ends inclusive (anomalib's `box.int()` slicing).
 */
export function clearDetectorBoxes(mask: Uint8Array, h: number, w: number, boxes: Float32Array): void {
  for (let i = 0; i + 3 < boxes.length; i += 4) {
    const x1 = Math.max(0, Math.trunc(boxes[i]) - BOX_MARGIN);
    const y1 = Math.max(0, Math.trunc(boxes[i + 1]) - BOX_MARGIN);
    const x2 = Math.min(w - 1, Math.trunc(boxes[i + 2]) + BOX_MARGIN);
    const y2 = Math.min(h - 1, Math.trunc(boxes[i + 3]) + BOX_MARGIN);
    if (x2 < x1) continue;
    for (let y = y1; y <= y2; y++) mask.fill(0, y * w + x1, y * w + x2 + 1);
  }
}

let runScratch = { start: new Int32Array(0), end: new Int32Array(0), label: new Int32Array(0) };
/** Two rows of runs (previous, current) for componentBoxes: a row of w pixels holds at most ⌈w/2⌉ runs. */
function runRows(w: number): { start: Int32Array; end: Int32Array; label: Int32Array } {
  const n = 2 * (Math.ceil(w / 2) + 1);
  if (runScratch.start.length < n) runScratch = { start: new Int32Array(n), end: new Int32Array(n), label: new Int32Array(n) };
  return runScratch;
}

/**
 * Bounding boxes [min x, min y, max x, max y] (inclusive pixel indices) of the 8-connected
 * components of `mask` (any non-zero pixel is set), in the order of each component's first pixel
 * in raster order. One pass over the rows' runs of set pixels: a run joins every run of the row
 * above that touches it (overlapping or diagonal), with union-find over per-run labels; boxes are
 * merged per root, so no label plane and no second pass over the pixels.
 */
export function componentBoxes(mask: Uint8Array, h: number, w: number): Float32Array {
  const runs = runRows(w);
  const half = runs.start.length >> 1; // previous row's runs at [prevAt, …), this row's at [curAt, …)
  const parent: number[] = [0]; // label 0 unused; labels from 1, in raster order of their first run
  const box: number[] = [0, 0, 0, 0];
  const find = (l: number): number => {
    while (parent[l] !== l) {
      parent[l] = parent[parent[l]];
      l = parent[l];
    }
    return l;
  };
  let prevAt = 0;
  let prevCount = 0;
  for (let y = 0; y < h; y++) {
    const row = y * w;
    const curAt = prevAt === 0 ? half : 0;
    let count = 0;
    let j = prevAt; // first run above that can still touch this row's next run
    const prevEnd = prevAt + prevCount;
    for (let x = 0; x < w; x++) {
      if (mask[row + x] === 0) continue;
      const start = x;
      while (x + 1 < w && mask[row + x + 1] !== 0) x++;
      const end = x;
      // Runs above touching [start − 1, end + 1] (8-connectivity): the smaller root wins, so a
      // root stays the first label its component got.
      while (j < prevEnd && runs.end[j] < start - 1) j++;
      let l = 0;
      for (let k = j; k < prevEnd && runs.start[k] <= end + 1; k++) {
        const m = find(runs.label[k]);
        if (l === 0) l = m;
        else if (m !== l) {
          if (m < l) {
            parent[l] = m;
            l = m;
          } else parent[m] = l;
        }
      }
      if (l === 0) {
        l = parent.length;
        parent.push(l);
        box.push(start, y, end, y);
      } else {
        const b = 4 * l;
        if (start < box[b]) box[b] = start;
        if (end > box[b + 2]) box[b + 2] = end;
        box[b + 3] = y; // rows arrive in order: the latest row is the largest
      }
      runs.start[curAt + count] = start;
      runs.end[curAt + count] = end;
      runs.label[curAt + count] = l;
      count++;
    }
    prevAt = curAt;
    prevCount = count;
  }
  // Merge every label's box into its root, then emit roots in label order.
  const n = parent.length;
  for (let l = 1; l < n; l++) {
    const r = find(l);
    if (r === l) continue;
    const a = 4 * r;
    const b = 4 * l;
    if (box[b] < box[a]) box[a] = box[b];
    if (box[b + 1] < box[a + 1]) box[a + 1] = box[b + 1];
    if (box[b + 2] > box[a + 2]) box[a + 2] = box[b + 2];
    if (box[b + 3] > box[a + 3]) box[a + 3] = box[b + 3];
  }
  const out: number[] = [];
  for (let l = 1; l < n; l++) if (parent[l] === l) out.push(box[4 * l], box[4 * l + 1], box[4 * l + 2], box[4 * l + 3]);
  return Float32Array.from(out);
}

/**
 * anomalib's foreground detections (`enable_foreground_detections`): regions where `last` differs
 * from `first`, outside the detector's boxes. Label 0, score 0.5, source `foreground`, in
 * component order; the pipeline appends them after the detector's regions.
 */
export function foregroundDetections(first: Float32Tensor, last: Float32Tensor, detectorBoxes: Float32Array, opts: ForegroundOptions): Regions {
  const [, h, w] = checkFrames(first, last);
  const mask = foregroundMask(first, last, opts);
  clearDetectorBoxes(mask, h, w, detectorBoxes);
  const boxes = componentBoxes(mask, h, w);
  const count = boxes.length / 4;
  if (count === 0) return emptyRegions();
  return {
    count,
    boxes,
    labels: new Int32Array(count).fill(FOREGROUND_LABEL),
    scores: new Float32Array(count).fill(FOREGROUND_SCORE),
    source: new Uint8Array(count).fill(REGION_SOURCE.foreground),
  };
}

function checkFrames(first: Float32Tensor, last: Float32Tensor): [number, number, number] {
  const s = first.shape;
  const same = s.length === 3 && last.shape.length === 3 && s.every((d, i) => d === last.shape[i]);
  if (!same || s[0] !== 3) {
    throw new VadError('bad_argument', `foreground: first and last must both be [3, H, W] of one size, got [${s.join(', ')}] and [${last.shape.join(', ')}]`);
  }
  return [s[0], s[1], s[2]];
}
