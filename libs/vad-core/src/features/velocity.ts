import { VadError } from '../errors';
import { type Boxes, type Float32Tensor, tensor } from '../tensor';
import { type AxisTaps, axisTaps, checkRoiInputs, roiAlignRow } from './roi-align';

/**
 * Velocity attribute (anomalib `VelocityExtractor`): RoIAlign the flow [2, H, W] per box to
 * 224×224, per cell m = ‖(u, v)‖ and θ = atan2(u, v) — channel 0 first, anomalib's argument order —
 * then `torch.histogram(θ, bins=B, range=(−π, π))` of m and of counts; feature b = mean m in bin b,
 * 0 for an empty bin. Empty cells (samples outside the image) are (0, 0): θ = 0, m = 0, and they
 * count, lowering the means of the bin that holds 0, as in anomalib.
 *
 * Fused: each output row of 224 cells is sampled from the flow (roiAlignRow) and binned at once,
 * so the [M, 2, 224, 224] crops never exist.
 */
export const VELOCITY_ROI_SIZE = 224;

/**
 * torch.histogram's bin edges for range (−π, π): `linspace` in float32 (the input's dtype) —
 * start + step·i for the first half, end − step·(B − i) for the second. They differ from the exact
 * multiples of 2π/B by an ulp (e.g. the π/4 edge of B = 8 lies one ulp above fround(π/4)), and
 * a cell exactly on such a direction (u = v) must land where torch puts it.
 * (torch's vectorised linspace only starts at ≥ 16 edges; for B ≥ 15 an edge may differ by an ulp.)
 */
export function velocityBinEdges(nBins: number): Float32Array {
  const f32 = Math.fround;
  const start = f32(-Math.PI);
  const end = f32(Math.PI);
  const step = f32(f32(end - start) / nBins);
  const halfway = Math.floor((nBins + 1) / 2);
  const edges = new Float32Array(nBins + 1);
  for (let i = 0; i <= nBins; i++) {
    edges[i] = i < halfway ? f32(start + f32(step * i)) : f32(end - f32(step * (nBins - i)));
  }
  return edges;
}

/**
 * The bin torch.histogram puts one cell in, from float32 u and v: θ = atan2 in float32, bin =
 * (edges ≤ θ) − 1, the last bin closed. −1 for NaN (torch skips NaN samples: neither weight nor count).
 */
export function velocityBinExact(u: number, v: number, edges: Float32Array): number {
  const theta = Math.fround(Math.atan2(Math.fround(u), Math.fround(v)));
  if (Number.isNaN(theta)) return -1;
  const nBins = edges.length - 1;
  let k = 0;
  while (k < nBins && edges[k + 1]! <= theta) k++;
  return Math.min(k, nBins - 1);
}

/**
 * Unit vectors (cos α, sin α) of the float32 bin edges, in the (v, u) plane that θ = atan2(u, v)
 * measures. cross(edge k, (v, u)) = m·sin(θ − α_k) is the signed distance of a cell from edge k, so
 * a cell's bin and its distance from the bin's edges need no atan2 (it costs more than the rest of a
 * cell's work): only cells within the error bound of an edge are recomputed and binned with atan2.
 */
function edgeDirections(edges: Float32Array): { ev: Float64Array; eu: Float64Array } {
  const ev = new Float64Array(edges.length);
  const eu = new Float64Array(edges.length);
  for (let k = 0; k < edges.length; k++) {
    ev[k] = Math.cos(edges[k]!);
    eu[k] = Math.sin(edges[k]!);
  }
  return { ev, eu };
}

/**
 * Slack (radians, as a fraction of m) for θ's float32 rounding, atan2's last-ulp error and the
 * edge directions: a few ulps of π.
 */
const ANGLE_SLACK = 1e-6;

/** One box's state while its rows are binned. */
interface BoxBinning {
  readonly flow: Float32Array;
  readonly width: number;
  readonly plane: number;
  readonly ty: AxisTaps;
  readonly tx: AxisTaps;
  readonly nBins: number;
  readonly edges: Float32Array;
  /**
   * How far (as a distance in the (u, v) plane) torch's float32 RoIAlign of a cell can be from the
   * exact value we compute: a few float32 roundings per sample, relative to the largest |flow| the
   * box reads. A cell closer than this to a bin edge is recomputed the torch way before binning.
   */
  readonly uvError: number;
  readonly ev: Float64Array;
  readonly eu: Float64Array;
  /** The bin of the previous cell: the flow is smooth, so it is usually the next cell's bin too. */
  lastBin: number;
  /** Two image rows (u then v) of scratch. */
  readonly row: Float64Array;
  readonly u: Float64Array;
  readonly v: Float64Array;
  /**
   * Sum of m per bin, in float64. torch.histogram adds the float32 magnitudes one by one in float32;
   * on the golden cases that drifts up to 2.4e-4 (relative) from the exact sum, within the spec's
   * tolerance. Reproducing it would chain every cell's add through a rounding and cost ~2× the time.
   */
  readonly sum: Float64Array;
  readonly count: Float64Array;
}

/**
 * Mean flow magnitude per direction bin for every box: flow [2, H, W] (channel 0 = x displacement),
 * boxes [M, 4] xyxy → [M, B]. These are the velocity features fed to the GMM and, unchanged, the
 * per-direction speeds shown for interpretability.
 */
export function velocityFeatures(flow: Float32Tensor, boxes: Boxes, nBins: number): Float32Tensor {
  const [channels, height, width] = checkRoiInputs(flow, boxes, 'velocityFeatures');
  if (channels !== 2) {
    throw new VadError('bad_argument', `velocityFeatures: flow must be [2, H, W] (x, y displacement), got [${flow.shape.join(', ')}]`);
  }
  if (!Number.isInteger(nBins) || nBins < 1) {
    throw new VadError('bad_argument', `velocityFeatures: n_velocity_bins must be a positive integer, got ${nBins}`);
  }
  const m = boxes.shape[0]!;
  const out = new Float32Array(m * nBins);
  const n = VELOCITY_ROI_SIZE;
  const row = new Float64Array(2 * width);
  const u = new Float64Array(n);
  const v = new Float64Array(n);
  const sum = new Float64Array(nBins);
  const count = new Float64Array(nBins);
  const edges = velocityBinEdges(nBins);
  const dirs = edgeDirections(edges);
  const b = boxes.data;
  for (let i = 0; i < m; i++) {
    const tx = axisTaps(b[i * 4]!, b[i * 4 + 2]!, width, n);
    const ty = axisTaps(b[i * 4 + 1]!, b[i * 4 + 3]!, height, n);
    const g = ty.grid * tx.grid;
    // 2× the bound on torch's float32 error.
    const uvError = 2 * (8 + g) * 2 ** -23 * maxAbsRead(flow.data, height * width, width, ty, tx);
    const box: BoxBinning = {
      flow: flow.data,
      width,
      plane: height * width,
      ty,
      tx,
      nBins,
      edges,
      uvError,
      ev: dirs.ev,
      eu: dirs.eu,
      lastBin: 0,
      row,
      u,
      v,
      sum,
      count,
    };
    sum.fill(0);
    count.fill(0);
    if (ty.grid === 1 && tx.grid === 1) binBoxSingleSample(box);
    else binBoxGeneral(box);
    for (let k = 0; k < nBins; k++) {
      const c = count[k]!;
      out[i * nBins + k] = c > 0 ? sum[k]! / c : 0;
    }
  }
  return tensor('float32', out, [m, nBins]);
}

/** torch.linalg.norm over the 2 channels, in float32. */
function magnitude32(u: number, v: number): number {
  const f32 = Math.fround;
  return f32(Math.sqrt(f32(f32(u * u) + f32(v * v))));
}

/** Largest |value| of either flow channel in the rectangle the box's taps read. */
function maxAbsRead(data: Float32Array, plane: number, width: number, ty: AxisTaps, tx: AxisTaps): number {
  let max = 0;
  for (let c = 0; c < 2; c++) {
    for (let y = ty.minIndex; y <= ty.maxIndex; y++) {
      const o = c * plane + y * width;
      for (let x = tx.minIndex; x <= tx.maxIndex; x++) {
        const a = Math.abs(data[o + x]!);
        if (!(a <= max)) max = a;
      }
    }
  }
  return max;
}

/**
 * One RoIAlign cell exactly as torchvision's CPU kernel computes it in float32: per sample
 * w1..w4 = hy·hx, hy·lx, ly·hx, ly·lx, ((w1·a + w2·b) + w3·c) + w4·d added to the running sum,
 * then divided by the sample count. Only used for the few cells whose bin depends on the last ulp.
 */
export function torchRoiAlignCell(data: Float32Array, planeOffset: number, width: number, ty: AxisTaps, tx: AxisTaps, ph: number, pw: number): number {
  const f32 = Math.fround;
  let acc = 0;
  for (let iy = 0; iy < ty.grid; iy++) {
    const sy = ph * ty.grid + iy;
    const hy = ty.wLow[sy]!;
    const ly = ty.wHigh[sy]!;
    const rl = planeOffset + ty.low[sy]! * width;
    const rh = planeOffset + ty.high[sy]! * width;
    for (let ix = 0; ix < tx.grid; ix++) {
      const sx = pw * tx.grid + ix;
      const hx = tx.wLow[sx]!;
      const lx = tx.wHigh[sx]!;
      const xl = tx.low[sx]!;
      const xh = tx.high[sx]!;
      const t1 = f32(f32(hy * hx) * data[rl + xl]!);
      const t2 = f32(f32(hy * lx) * data[rl + xh]!);
      const t3 = f32(f32(ly * hx) * data[rh + xl]!);
      const t4 = f32(f32(ly * lx) * data[rh + xh]!);
      acc = f32(acc + f32(f32(f32(t1 + t2) + t3) + t4));
    }
  }
  return f32(acc / Math.max(ty.grid * tx.grid, 1));
}

/**
 * Boxes up to 224 px on both sides (all regions at 240×360 but the largest): one sample per cell,
 * so a cell is a blend of two y-interpolated row values per channel.
 */
function binBoxSingleSample(box: BoxBinning): void {
  const { flow, width, plane, ty, tx, row, u, v } = box;
  const n = tx.out;
  const { low: xl, high: xh, wLow: wxl, wHigh: wxh } = tx;
  const x0 = tx.minIndex;
  const x1 = tx.maxIndex;
  for (let ph = 0; ph < ty.out; ph++) {
    const wl = ty.wLow[ph]!;
    const wh = ty.wHigh[ph]!;
    if (wl === 0 && wh === 0) {
      // A row of samples outside the image: every cell is (0, 0), θ = 0, m = 0 — still counted.
      u.fill(0);
      v.fill(0);
    } else {
      // u values of the y-interpolated row at [0, width), v values at [width, 2·width).
      const ol = ty.low[ph]! * width;
      const oh = ty.high[ph]! * width;
      for (let x = x0; x <= x1; x++) {
        row[x] = wl * flow[ol + x]! + wh * flow[oh + x]!;
        row[width + x] = wl * flow[plane + ol + x]! + wh * flow[plane + oh + x]!;
      }
      for (let pw = 0; pw < n; pw++) {
        const a = xl[pw]!;
        const c = xh[pw]!;
        const wa = wxl[pw]!;
        const wc = wxh[pw]!;
        u[pw] = wa * row[a]! + wc * row[c]!;
        v[pw] = wa * row[width + a]! + wc * row[width + c]!;
      }
    }
    binRow(box, ph);
  }
}

function binBoxGeneral(box: BoxBinning): void {
  const { flow, width, plane, ty, tx, row, u, v } = box;
  for (let ph = 0; ph < ty.out; ph++) {
    roiAlignRow(flow, 0, width, ty, tx, ph, row, u);
    roiAlignRow(flow, plane, width, ty, tx, ph, row, v);
    binRow(box, ph);
  }
}

/**
 * Bins output row `ph` (cells in box.u / box.v): m into sum[bin], one into count[bin]. Neighbouring
 * cells mostly share a bin, so runs are summed in locals and flushed when the bin changes.
 */
function binRow(box: BoxBinning, ph: number): void {
  const { u, v, sum, count, nBins } = box;
  const n = u.length;
  if (nBins === 1) {
    // Every non-NaN θ lies in [−π, π]; torch.histogram leaves NaN out of both sums.
    let s = 0;
    let c = 0;
    for (let j = 0; j < n; j++) {
      const mag = Math.sqrt(u[j]! * u[j]! + v[j]! * v[j]!);
      if (mag === mag) {
        s += mag;
        c++;
      }
    }
    sum[0]! += s;
    count[0]! += c;
    return;
  }
  const { ev, eu, uvError } = box;
  let bin = box.lastBin;
  let runSum = 0;
  let runCount = 0;
  for (let j = 0; j < n; j++) {
    const uj = u[j]!;
    const vj = v[j]!;
    let mag = Math.sqrt(uj * uj + vj * vj);
    // Walk to the sector with c0 = cross(edge k) ≥ 0 > cross(edge k+1) = −c1 (NaN ends in the exact path).
    let k = bin;
    let c0 = ev[k]! * uj - eu[k]! * vj;
    let c1 = eu[k + 1]! * vj - ev[k + 1]! * uj;
    for (let step = 1; step < nBins && !(c0 >= 0 && c1 > 0); step++) {
      if (c0 < 0) {
        k = k === 0 ? nBins - 1 : k - 1;
        c1 = -c0;
        c0 = ev[k]! * uj - eu[k]! * vj;
      } else {
        k = k === nBins - 1 ? 0 : k + 1;
        c0 = ev[k]! * uj - eu[k]! * vj;
        c1 = eu[k + 1]! * vj - ev[k + 1]! * uj;
      }
    }
    const tol = uvError + ANGLE_SLACK * mag;
    // Near an edge (or NaN / infinite / 0-by-0 input): recompute the cell and bin it as torch does.
    if (!(c0 > tol && c1 > tol)) {
      const u32 = torchRoiAlignCell(box.flow, 0, box.width, box.ty, box.tx, ph, j);
      const v32 = torchRoiAlignCell(box.flow, box.plane, box.width, box.ty, box.tx, ph, j);
      k = velocityBinExact(u32, v32, box.edges);
      if (k < 0) continue;
      mag = magnitude32(u32, v32);
    }
    if (k !== bin) {
      sum[bin]! += runSum;
      count[bin]! += runCount;
      runSum = 0;
      runCount = 0;
      bin = k;
    }
    runSum += mag;
    runCount++;
  }
  sum[bin]! += runSum;
  count[bin]! += runCount;
  box.lastBin = bin;
}
