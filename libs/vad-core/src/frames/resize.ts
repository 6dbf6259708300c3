import { VadError } from '../errors';
import { type Float32Tensor, type Tensor, tensor } from '../tensor';

/** An 8-bit image, row-major [H, W, C] (C = 3 for RGB). */
export type ImageU8 = Tensor<'uint8'>;

// OpenCV's INTER_RESIZE_COEF_BITS: interpolation weights are 11-bit fixed point.
const COEF_BITS = 11;
const COEF_SCALE = 1 << COEF_BITS;

/**
 * OpenCV's cvRound (lrint / cvtsd2si): round half to even. saturate_cast<short>(float) uses it to
 * turn the float weights into fixed point, so ties must break the same way.
 */
function roundHalfEven(v: number): number {
  const r = Math.round(v);
  return r - v === 0.5 && (r & 1) !== 0 ? r - 1 : r;
}

interface AxisTable {
  /** First source index per destination index (clamped as OpenCV does, when asked to). */
  ofs: Int32Array;
  w0: Int32Array;
  w1: Int32Array;
}

/**
 * OpenCV's per-axis tables for INTER_LINEAR (resize setup): the source position is computed in
 * double then narrowed to float, `scale` is 1/(dst/src) (not src/dst: the last bit can differ),
 * and the weights are rounded to 11-bit fixed point separately, so w0 + w1 need not be 2048.
 * Columns are clamped together with their weights; rows are not (OpenCV clamps only the row index
 * when it fetches, keeping the weights of the unclamped position).
 */
function axisTable(srcLen: number, dstLen: number, clampEdges: boolean): AxisTable {
  const scale = 1 / (dstLen / srcLen);
  const ofs = new Int32Array(dstLen);
  const w0 = new Int32Array(dstLen);
  const w1 = new Int32Array(dstLen);
  for (let d = 0; d < dstLen; d++) {
    let f = Math.fround((d + 0.5) * scale - 0.5);
    let s = Math.floor(f);
    f = Math.fround(f - s);
    if (clampEdges && s < 0) {
      s = 0;
      f = 0;
    }
    if (clampEdges && s >= srcLen - 1) {
      s = srcLen - 1;
      f = 0;
    }
    ofs[d] = s;
    w0[d] = roundHalfEven(Math.fround(1 - f) * COEF_SCALE);
    w1[d] = roundHalfEven(f * COEF_SCALE);
  }
  return { ofs, w0, w1 };
}

/** Everything about a resize that does not depend on the pixels. */
interface LinearPlan {
  srcH: number;
  srcW: number;
  cn: number;
  dstH: number;
  dstW: number;
  /** Per output element (x*cn + channel): source offset and the two horizontal weights. */
  xofs: Int32Array;
  a0: Int32Array;
  a1: Int32Array;
  /** From this element on (the first column clamped to the right edge), OpenCV takes one tap. */
  xmax: number;
  /** The same per output pixel (source offset sx*cn): the RGB fast path reads these. */
  xt: AxisTable;
  yt: AxisTable;
}

function linearPlan(srcH: number, srcW: number, cn: number, dstH: number, dstW: number): LinearPlan {
  const width = dstW * cn;
  const xt = axisTable(srcW, dstW, true);
  const xofs = new Int32Array(width);
  const a0 = new Int32Array(width);
  const a1 = new Int32Array(width);
  let xmax = width;
  for (let dx = 0; dx < dstW; dx++) {
    const sx = xt.ofs[dx];
    if (sx >= srcW - 1 && xmax === width) xmax = dx * cn;
    for (let k = 0; k < cn; k++) {
      const i = dx * cn + k;
      xofs[i] = sx * cn + k;
      a0[i] = xt.w0[dx];
      a1[i] = xt.w1[dx];
    }
  }
  return { srcH, srcW, cn, dstH, dstW, xofs, a0, a1, xmax, xt, yt: axisTable(srcH, dstH, false) };
}

/** OpenCV's horizontal pass (HResizeLinear) of one source row into 32-bit fixed point. */
function hresizeRow(src: Uint8Array, base: number, p: LinearPlan, out: Int32Array): void {
  const { xofs, a0, a1, xmax, cn } = p;
  const width = out.length;
  if (cn === 3) {
    // Same arithmetic per pixel instead of per element: a third of the table reads.
    const { ofs, w0, w1 } = p.xt;
    const pmax = xmax / 3;
    for (let dx = 0, o = 0; dx < pmax; dx++, o += 3) {
      const s = base + 3 * ofs[dx];
      const u = w0[dx];
      const v = w1[dx];
      out[o] = src[s] * u + src[s + 3] * v;
      out[o + 1] = src[s + 1] * u + src[s + 4] * v;
      out[o + 2] = src[s + 2] * u + src[s + 5] * v;
    }
    for (let dx = pmax, o = xmax; o < width; dx++, o += 3) {
      const s = base + 3 * ofs[dx];
      out[o] = src[s] * COEF_SCALE;
      out[o + 1] = src[s + 1] * COEF_SCALE;
      out[o + 2] = src[s + 2] * COEF_SCALE;
    }
    return;
  }
  for (let i = 0; i < xmax; i++) {
    const s = base + xofs[i];
    out[i] = src[s] * a0[i] + src[s + cn] * a1[i];
  }
  for (let i = xmax; i < width; i++) out[i] = src[base + xofs[i]] * COEF_SCALE;
}

type RowSink = (dy: number, rowA: Int32Array, rowB: Int32Array, b0: number, b1: number) => void;

/**
 * Drives the two passes: for each output row, the two (clamped) source rows in horizontal fixed
 * point, reusing a row already computed for the previous output row, as OpenCV does.
 */
function resizeRows(src: Uint8Array, p: LinearPlan, sink: RowSink): void {
  const width = p.dstW * p.cn;
  const rowStride = p.srcW * p.cn;
  const { srcH, yt } = p;
  let rowA = new Int32Array(width);
  let rowB = new Int32Array(width);
  let heldA = -1;
  let heldB = -1;
  for (let dy = 0; dy < p.dstH; dy++) {
    // OpenCV clamps the row index, not the weights: above/below the image both taps read the edge.
    const sy0 = yt.ofs[dy];
    const r0 = sy0 < 0 ? 0 : sy0 >= srcH ? srcH - 1 : sy0;
    const r1 = sy0 + 1 < 0 ? 0 : sy0 + 1 >= srcH ? srcH - 1 : sy0 + 1;
    if (heldA !== r0) {
      if (heldB === r0) {
        const t = rowA;
        rowA = rowB;
        rowB = t;
        heldB = heldA;
      } else {
        hresizeRow(src, r0 * rowStride, p, rowA);
      }
      heldA = r0;
    }
    if (heldB !== r1) {
      if (r1 === r0) rowB.set(rowA);
      else hresizeRow(src, r1 * rowStride, p, rowB);
      heldB = r1;
    }
    sink(dy, rowA, rowB, yt.w0[dy], yt.w1[dy]);
  }
}

// OpenCV's vertical kernel (VResizeLinearVec_32s8u) works in 16-bit lanes: each row value is
// shifted down 4 bits, multiplied keeping the high 16 bits, summed, then rounded with (+2) >> 2.
// That differs (by 1 grey level, often) from the 32-bit scalar formula (r0*b0 + r1*b1 + 2^21) >> 22.
// opencv.js 4.12 gives the 16-bit result for every element, row tails included (resize.opencv.spec.ts
// checks it bit for bit), and so do the x86 cv2 builds behind the shared golden vectors. The result
// is at most 255 + 1 (weight pairs may sum to 2049): stores saturate, as v_pack_u does.

/**
 * cv2.resize(src, (dstW, dstH), interpolation=INTER_LINEAR) on 8-bit data, bit-exact: the image
 * transform anomalib applies to every frame (albumentations Resize). Pixel centres at +0.5, no
 * antialiasing, 11-bit fixed-point weights, OpenCV's rounding; an exact 2x downscale takes OpenCV's
 * INTER_AREA shortcut, as OpenCV itself does.
 */
export function resizeLinearU8(src: Uint8Array, srcH: number, srcW: number, cn: number, dstH: number, dstW: number): Uint8Array {
  checkDims(src.length, srcH, srcW, cn, dstH, dstW);
  const dst = new Uint8Array(dstH * dstW * cn);
  if (srcH === dstH && srcW === dstW) {
    dst.set(src.subarray(0, dst.length));
    return dst;
  }
  if (srcW === 2 * dstW && srcH === 2 * dstH && (cn === 1 || cn === 3 || cn === 4)) {
    areaFast2x(src, srcW, cn, dst, dstH, dstW);
    return dst;
  }
  const width = dstW * cn;
  resizeRows(src, linearPlan(srcH, srcW, cn, dstH, dstW), (dy, rowA, rowB, b0, b1) => {
    const o = dy * width;
    for (let x = 0; x < width; x++) {
      const v = ((((rowA[x] >> 4) * b0) >> 16) + (((rowB[x] >> 4) * b1) >> 16) + 2) >> 2;
      dst[o + x] = v > 255 ? 255 : v;
    }
  });
  return dst;
}

/**
 * resizeLinearU8 of an RGB [H, W, 3] image fused with toChwFloat: the same uint8 values, written
 * straight to float32 [3, dstH, dstW] / 255 without the intermediate image.
 */
export function resizeRgbToChwFloat(src: Uint8Array, srcH: number, srcW: number, dstH: number, dstW: number): Float32Tensor {
  checkDims(src.length, srcH, srcW, 3, dstH, dstW);
  if ((srcH === dstH && srcW === dstW) || (srcW === 2 * dstW && srcH === 2 * dstH)) {
    return toChwFloat(tensor('uint8', resizeLinearU8(src, srcH, srcW, 3, dstH, dstW), [dstH, dstW, 3]));
  }
  const plane = dstH * dstW;
  const out = new Float32Array(3 * plane);
  const lut = U8_TO_UNIT;
  resizeRows(src, linearPlan(srcH, srcW, 3, dstH, dstW), (dy, rowA, rowB, b0, b1) => {
    let o = dy * dstW;
    for (let x = 0; x < 3 * dstW; x += 3, o++) {
      const r = ((((rowA[x] >> 4) * b0) >> 16) + (((rowB[x] >> 4) * b1) >> 16) + 2) >> 2;
      const g = ((((rowA[x + 1] >> 4) * b0) >> 16) + (((rowB[x + 1] >> 4) * b1) >> 16) + 2) >> 2;
      const b = ((((rowA[x + 2] >> 4) * b0) >> 16) + (((rowB[x + 2] >> 4) * b1) >> 16) + 2) >> 2;
      out[o] = lut[r > 255 ? 255 : r];
      out[plane + o] = lut[g > 255 ? 255 : g];
      out[2 * plane + o] = lut[b > 255 ? 255 : b];
    }
  });
  return tensor('float32', out, [3, dstH, dstW]);
}

/**
 * OpenCV turns INTER_LINEAR with an exact 2× downscale on both axes into INTER_AREA's fast path,
 * whose 8-bit kernel averages each 2×2 block as (a + b + c + d + 2) >> 2.
 */
function areaFast2x(src: Uint8Array, srcW: number, cn: number, dst: Uint8Array, dstH: number, dstW: number): void {
  const rowStride = srcW * cn;
  let o = 0;
  for (let dy = 0; dy < dstH; dy++) {
    const r0 = 2 * dy * rowStride;
    const r1 = r0 + rowStride;
    for (let dx = 0; dx < dstW; dx++) {
      const c = 2 * dx * cn;
      for (let k = 0; k < cn; k++) {
        const i = c + k;
        dst[o++] = (src[r0 + i] + src[r0 + i + cn] + src[r1 + i] + src[r1 + i + cn] + 2) >> 2;
      }
    }
  }
}

function checkDims(len: number, srcH: number, srcW: number, cn: number, dstH: number, dstW: number): void {
  for (const [name, v] of [
    ['source height', srcH],
    ['source width', srcW],
    ['channels', cn],
    ['target height', dstH],
    ['target width', dstW],
  ] as const) {
    if (!Number.isInteger(v) || v < 1) throw new VadError('bad_argument', `resize: ${name} must be a positive integer, got ${v}`);
  }
  if (len < srcH * srcW * cn) {
    throw new VadError('bad_argument', `resize: ${len} bytes do not hold a ${srcH}x${srcW}x${cn} image`);
  }
}

/** resizeLinearU8 over an [H, W, C] uint8 tensor, to `size` = [height, width]. */
export function resizeImage(image: ImageU8, size: readonly [number, number]): ImageU8 {
  const [h, w, c] = hwc(image, 'resizeImage');
  const [dh, dw] = size;
  return tensor('uint8', resizeLinearU8(image.data, h, w, c, dh, dw), [dh, dw, c]);
}

// uint8 -> float32 by division, correctly rounded once (v / 255 in double, then to float32, equals
// float32 division). anomalib's ToTensor divides; a table keeps it to one load per value.
const U8_TO_UNIT = Float32Array.from({ length: 256 }, (_, v) => v / 255);

/** [H, W, 3] uint8 -> [3, H, W] float32 in [0, 1] (value / 255): the networks' input layout. */
export function toChwFloat(image: ImageU8): Float32Tensor {
  const [h, w, c] = hwc(image, 'toChwFloat');
  const plane = h * w;
  const out = new Float32Array(c * plane);
  const src = image.data;
  for (let ch = 0; ch < c; ch++) {
    const o = ch * plane;
    for (let i = 0, s = ch; i < plane; i++, s += c) out[o + i] = U8_TO_UNIT[src[s]];
  }
  return tensor('float32', out, [c, h, w]);
}

/**
 * Bilinear resize of a float map [C, H, W] to [C, h, w] as torch F.interpolate(mode='bilinear',
 * align_corners=False, antialias=False): half-pixel centres, source positions below 0 clamp to 0.
 * Values are not rescaled: anomalib resizes RAFT's flow back to the frame size without scaling the
 * vectors, so magnitudes stay in the flow network's pixel units (spec, stage 2).
 */
export function resizeBilinearChw(src: Float32Tensor, size: readonly [number, number]): Float32Tensor {
  if (src.shape.length !== 3) throw new VadError('bad_argument', `resizeBilinearChw: expected [C, H, W], got [${src.shape.join(', ')}]`);
  const [c, h, w] = src.shape;
  const [dh, dw] = size;
  checkDims(src.data.length, h, w, c, dh, dw);
  const y = bilinearTaps(h, dh);
  const x = bilinearTaps(w, dw);
  const out = new Float32Array(c * dh * dw);
  const data = src.data;
  for (let ch = 0; ch < c; ch++) {
    const plane = ch * h * w;
    let o = ch * dh * dw;
    for (let dy = 0; dy < dh; dy++) {
      const r0 = plane + y.i0[dy] * w;
      const r1 = plane + y.i1[dy] * w;
      const ly0 = y.l0[dy];
      const ly1 = y.l1[dy];
      for (let dx = 0; dx < dw; dx++) {
        const i0 = x.i0[dx];
        const i1 = x.i1[dx];
        const lx0 = x.l0[dx];
        const lx1 = x.l1[dx];
        out[o++] = ly0 * (lx0 * data[r0 + i0] + lx1 * data[r0 + i1]) + ly1 * (lx0 * data[r1 + i0] + lx1 * data[r1 + i1]);
      }
    }
  }
  return tensor('float32', out, [c, dh, dw]);
}

// torch 1.13's area_pixel_compute_source_index + compute_indices_weights_linear (CPU): the scale is
// float32, the source coordinate stays in double, only the two weights are stored as float32.
// (Rounding the coordinate to float32 too is torch 2.x; it differs by ~2e-4 on steep flow fields
// when the size ratio is not exact in float32, e.g. 520×960 → 240×360.)
function bilinearTaps(inLen: number, outLen: number): { i0: Int32Array; i1: Int32Array; l0: Float64Array; l1: Float64Array } {
  const scale = Math.fround(inLen / outLen);
  const i0 = new Int32Array(outLen);
  const i1 = new Int32Array(outLen);
  const l0 = new Float64Array(outLen);
  const l1 = new Float64Array(outLen);
  for (let d = 0; d < outLen; d++) {
    const s = Math.max(scale * (d + 0.5) - 0.5, 0);
    const a = Math.min(Math.floor(s), inLen - 1);
    const lambda = Math.fround(Math.min(Math.max(s - a, 0), 1));
    i0[d] = a;
    i1[d] = a < inLen - 1 ? a + 1 : a;
    l1[d] = lambda;
    l0[d] = Math.fround(1 - lambda);
  }
  return { i0, i1, l0, l1 };
}

function hwc(image: ImageU8, who: string): [number, number, number] {
  if (image.shape.length !== 3 || image.dtype !== 'uint8') {
    throw new VadError('bad_argument', `${who}: expected a uint8 [H, W, C] image, got ${image.dtype} [${image.shape.join(', ')}]`);
  }
  return [image.shape[0], image.shape[1], image.shape[2]];
}
