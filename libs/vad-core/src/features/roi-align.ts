import { VadError } from '../errors';
import { type Boxes, type Float32Tensor, tensor } from '../tensor';

/**
 * torchvision `roi_align` (CPU kernel) on one image, the way anomalib calls it for the velocity and
 * appearance attributes: `roi_align(x, boxes, output_size=[224, 224])`, i.e. spatial_scale 1,
 * sampling_ratio −1 (adaptive), aligned False.
 *
 * The sampling is separable: a sample's bilinear weight is w_y(row sample)·w_x(column sample), and
 * a sample outside the image has w_y = 0 or w_x = 0. So each RoI is described by the taps of its
 * two axes (`AxisTaps`), computed once, and a row of output cells is the average of its samples of
 * the y-interpolated image rows — a few multiply-adds per cell (`roiAlignRow`). `velocity.ts`
 * reuses the row kernel to bin the flow without materialising the [M, 2, 224, 224] crops.
 */
export interface RoiAlignOptions {
  /** Multiplies box coordinates before sampling (torchvision `spatial_scale`; default 1). */
  spatialScale?: number;
  /** Samples per bin and axis; ≤ 0 = adaptive ceil(roi_size / out_size) (default −1). */
  samplingRatio?: number;
  /** Shift boxes by −0.5 pixel (torchvision `aligned`; default false, as anomalib). */
  aligned?: boolean;
}

/** Bilinear taps of one axis of one RoI. Tap `p * grid + s` is sample s of output bin p. */
export interface AxisTaps {
  /** Output cells along this axis. */
  readonly out: number;
  /** Samples per output bin along this axis (0 only for an empty aligned RoI). */
  readonly grid: number;
  readonly low: Int32Array;
  readonly high: Int32Array;
  /** 0 for both when the sample falls outside [−1, size]: torchvision makes it contribute 0. */
  readonly wLow: Float64Array;
  readonly wHigh: Float64Array;
  /** Smallest / largest pixel index any in-image tap reads (−1 / −2 when none does). */
  readonly minIndex: number;
  readonly maxIndex: number;
}

const f32 = Math.fround;

/**
 * Sample positions and weights along one axis. Computed in float32 step by step (Math.fround)
 * exactly as the torchvision kernel does with T = float, so that the adaptive grid size
 * (a `ceil` of a float quotient) and the sample positions agree with it bit for bit.
 */
export function axisTaps(start: number, end: number, size: number, out: number, opts: RoiAlignOptions = {}): AxisTaps {
  const scale = opts.spatialScale ?? 1;
  const samplingRatio = opts.samplingRatio ?? -1;
  const offset = opts.aligned ? 0.5 : 0;
  const roiStart = f32(f32(start * scale) - offset);
  const roiEnd = f32(f32(end * scale) - offset);
  let roiSize = f32(roiEnd - roiStart);
  // aligned=false: torchvision forces malformed (zero / negative) RoIs to size 1.
  if (!opts.aligned) roiSize = Math.max(roiSize, 1);
  const binSize = f32(roiSize / out);
  const grid = samplingRatio > 0 ? samplingRatio : Math.max(0, Math.ceil(binSize));

  const n = out * grid;
  const low = new Int32Array(n);
  const high = new Int32Array(n);
  const wLow = new Float64Array(n);
  const wHigh = new Float64Array(n);
  let minIndex = size;
  let maxIndex = -1;
  for (let p = 0; p < out; p++) {
    const binStart = f32(roiStart + f32(p * binSize));
    for (let s = 0; s < grid; s++) {
      const t = p * grid + s;
      let pos = f32(binStart + f32(f32((s + 0.5) * binSize) / grid));
      // torchvision's bilinear_interpolate: beyond one pixel outside the image a sample is 0.
      if (pos < -1 || pos > size || Number.isNaN(pos)) continue;
      if (pos <= 0) pos = 0;
      let lo = Math.trunc(pos);
      let hi: number;
      if (lo >= size - 1) {
        hi = lo = size - 1;
        pos = lo;
      } else {
        hi = lo + 1;
      }
      const l = f32(pos - lo);
      low[t] = lo;
      high[t] = hi;
      wLow[t] = f32(1 - l);
      wHigh[t] = l;
      if (lo < minIndex) minIndex = lo;
      if (hi > maxIndex) maxIndex = hi;
    }
  }
  if (maxIndex < 0) {
    minIndex = -1;
    maxIndex = -2;
  }
  return { out, grid, low, high, wLow, wHigh, minIndex, maxIndex };
}

/** Number of samples torchvision divides each cell's sum by. */
export function sampleCount(ty: AxisTaps, tx: AxisTaps): number {
  return Math.max(ty.grid * tx.grid, 1);
}

/**
 * Output row `ph` of one channel plane (data[planeOffset ... planeOffset + H·W)) for one RoI:
 * writes the *mean* of each cell's samples into out[0 .. tx.out). `rowScratch` must hold ≥ width
 * values; it carries the y-interpolated image row between the two passes.
 */
export function roiAlignRow(
  data: Float32Array,
  planeOffset: number,
  width: number,
  ty: AxisTaps,
  tx: AxisTaps,
  ph: number,
  rowScratch: Float64Array,
  out: Float64Array,
): void {
  const outW = tx.out;
  const gy = ty.grid;
  const gx = tx.grid;
  const { low: xl, high: xh, wLow: wxl, wHigh: wxh } = tx;
  const x0 = tx.minIndex;
  const x1 = tx.maxIndex;
  out.fill(0, 0, outW);
  for (let iy = 0; iy < gy; iy++) {
    const t = ph * gy + iy;
    const wl = ty.wLow[t];
    const wh = ty.wHigh[t];
    // Outside the image (both weights 0) the sample adds nothing but still counts in the mean.
    if (wl === 0 && wh === 0) continue;
    const ol = planeOffset + ty.low[t] * width;
    const oh = planeOffset + ty.high[t] * width;
    for (let x = x0; x <= x1; x++) rowScratch[x] = wl * data[ol + x] + wh * data[oh + x];
    if (gx === 1) {
      for (let pw = 0; pw < outW; pw++) out[pw] += wxl[pw] * rowScratch[xl[pw]] + wxh[pw] * rowScratch[xh[pw]];
    } else {
      for (let pw = 0, k = 0; pw < outW; pw++) {
        let s = 0;
        for (let ix = 0; ix < gx; ix++, k++) s += wxl[k] * rowScratch[xl[k]] + wxh[k] * rowScratch[xh[k]];
        out[pw] += s;
      }
    }
  }
  const inv = 1 / sampleCount(ty, tx);
  for (let pw = 0; pw < outW; pw++) out[pw] *= inv;
}

/** Checks an image-like tensor [C, H, W] and boxes [M, 4]; returns [C, H, W]. */
export function checkRoiInputs(input: Float32Tensor, boxes: Boxes, what: string): [number, number, number] {
  if (input.shape.length !== 3) {
    throw new VadError('bad_argument', `${what}: input must be [C, H, W], got [${input.shape.join(', ')}]`);
  }
  const [c, h, w] = input.shape as [number, number, number];
  if (h < 1 || w < 1) throw new VadError('bad_argument', `${what}: input [${input.shape.join(', ')}] has no pixels`);
  if (boxes.shape.length !== 2 || boxes.shape[1] !== 4) {
    throw new VadError('bad_argument', `${what}: boxes must be [M, 4] xyxy, got [${boxes.shape.join(', ')}]`);
  }
  return [c, h, w];
}

/**
 * torchvision `roi_align(input[None], [boxes], (outH, outW), spatial_scale, sampling_ratio, aligned)[…]`
 * for a single image: input [C, H, W], boxes [M, 4] xyxy → [M, C, outH, outW].
 */
export function roiAlign(input: Float32Tensor, boxes: Boxes, outH: number, outW: number, opts: RoiAlignOptions = {}): Float32Tensor {
  const [channels, height, width] = checkRoiInputs(input, boxes, 'roiAlign');
  if (!Number.isInteger(outH) || !Number.isInteger(outW) || outH < 1 || outW < 1) {
    throw new VadError('bad_argument', `roiAlign: output size must be positive integers, got ${outH}×${outW}`);
  }
  const m = boxes.shape[0]!;
  const out = new Float32Array(m * channels * outH * outW);
  const row = new Float64Array(width);
  const cells = new Float64Array(outW);
  const b = boxes.data;
  for (let i = 0; i < m; i++) {
    const tx = axisTaps(b[i * 4]!, b[i * 4 + 2]!, width, outW, opts);
    const ty = axisTaps(b[i * 4 + 1]!, b[i * 4 + 3]!, height, outH, opts);
    for (let c = 0; c < channels; c++) {
      const base = (i * channels + c) * outH * outW;
      for (let ph = 0; ph < outH; ph++) {
        roiAlignRow(input.data, c * height * width, width, ty, tx, ph, row, cells);
        out.set(cells, base + ph * outW);
      }
    }
  }
  return tensor('float32', out, [m, channels, outH, outW]);
}
