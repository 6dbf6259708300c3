import { z } from 'zod';
import { VadError } from '../errors';
import { type Float32Tensor, tensor } from '../tensor';

/**
 * The built-in optical flow: OpenCV's Farnebäck (WASM build of @techstark/opencv-js 4.12), used when
 * a model ships no `onnx/flow.onnx`, so the default model runs with no downloaded weights.
 *
 * Units: displacements are in WORKING-SIZE pixels (the model's `imageSize`), not in the 960×520
 * pixel units that anomalib's RAFT stage produces (spec, stage 2). A density bank fitted with this
 * flow is therefore only valid with this flow and these exact `params`; the manifest records both in
 * `stages.flow` (`{kind: 'builtin', name, params}`) and a loader must refuse any mismatch.
 */
export const BUILTIN_FLOW_NAME = 'farneback-opencv-4.12';

/**
 * Farnebäck parameters, named after OpenCV's `calcOpticalFlowFarneback` arguments (pyr_scale,
 * levels, winsize, iterations, poly_n, poly_sigma, flags & OPTFLOW_FARNEBACK_GAUSSIAN), plus
 * `downscale`: the flow is estimated on frames shrunk by this integer factor (box average) and
 * upsampled bilinearly with the vectors scaled back. Measured at 240×360 on one core: full
 * resolution costs 11–17 ms per pair whatever the other settings; half resolution ~3 ms of
 * Farnebäck (+ ~1.3 ms of conversion here) and still recovers people-sized blobs' motion to within
 * a few percent (odd-pixel components read ~5 % low: they are half-pixel shifts on the coarse grid).
 */
export const FarnebackParamsSchema = z.strictObject({
  downscale: z.number().int().min(1).max(4).default(2),
  pyrScale: z.number().gt(0).lt(1).default(0.5),
  levels: z.number().int().min(1).max(8).default(3),
  winSize: z.number().int().min(3).max(63).default(11),
  iterations: z.number().int().min(1).max(20).default(2),
  polyN: z.union([z.literal(5), z.literal(7)]).default(5),
  polySigma: z.number().positive().max(3).default(1.1),
  gaussianWindow: z.boolean().default(false),
});
export type FarnebackParams = z.infer<typeof FarnebackParamsSchema>;
export type FarnebackParamsInput = z.input<typeof FarnebackParamsSchema>;

export const DEFAULT_BUILTIN_FLOW_PARAMS: FarnebackParams = Object.freeze(FarnebackParamsSchema.parse({}));

export interface BuiltinFlow {
  readonly name: string;
  /** Fully resolved (defaults filled in), plain JSON: what the manifest's `stages.flow.params` records. */
  readonly params: FarnebackParams;
  /**
   * Flow from `first` to `last`, both float32 RGB in [0, 1], [3, H, W]. Returns [2, H, W]:
   * channel 0 = x displacement, channel 1 = y displacement, in working-size pixels.
   * Synchronous and not re-entrant per instance (one set of OpenCV buffers); use one instance per
   * worker thread.
   *
   * `onlyIn` (boxes xyxy, [M·4]): only the pixels a box covers, [⌊x1⌋, ⌈x2⌉] × [⌊y1⌋, ⌈y2⌉] clipped
   * to the frame, are filled in (with exactly the values the whole field would have there); every
   * other pixel is 0. For consumers that read the flow inside boxes only: the upsampling of the
   * whole field is most of the cost after Farnebäck itself.
   *
   * Frames are taken as immutable once passed: the grey image of `last` is kept, and when the same
   * array comes back as the next call's `first` (scoring consecutive pairs) it is reused instead of
   * converted again. A few sampled values are compared too, so a buffer refilled with another
   * frame is not mistaken for the old one.
   */
  compute(first: Float32Tensor, last: Float32Tensor, onlyIn?: Float32Array): Float32Tensor;
  /** Frees the OpenCV buffers; the instance must not be used afterwards. */
  release(): void;
}

/** Loads OpenCV once per process (shared, concurrency-safe) and returns a flow with its own buffers. */
export async function loadBuiltinFlow(params: FarnebackParamsInput = {}): Promise<BuiltinFlow> {
  const resolved = parseBuiltinFlowParams(params);
  const { cv } = await loadOpenCv();
  return new FarnebackFlow(cv, resolved);
}

/** What a manifest records in `stages.flow` for this flow: always the complete params. */
export function builtinFlowStage(flow: BuiltinFlow): { kind: 'builtin'; name: string; params: FarnebackParams } {
  return { kind: 'builtin', name: flow.name, params: { ...flow.params } };
}

/**
 * The flow a model's `stages.flow` (kind 'builtin') asks for. A different algorithm name means its
 * density bank was fitted on other flow vectors, so it is refused rather than silently mis-scored.
 */
export async function loadBuiltinFlowForStage(stage: { name: string; params?: Record<string, unknown> }): Promise<BuiltinFlow> {
  if (stage.name !== BUILTIN_FLOW_NAME) {
    throw new VadError(
      'model_invalid',
      `the model was fitted with builtin flow "${stage.name}", but this build provides "${BUILTIN_FLOW_NAME}"; refit the model (vad fit) or ship its flow as onnx/flow.onnx`,
      {
        expected: BUILTIN_FLOW_NAME,
        got: stage.name,
      },
    );
  }
  return loadBuiltinFlow(parseBuiltinFlowParams(stage.params));
}

/** Throws `model_invalid` because the params normally come from a model's manifest. */
export function parseBuiltinFlowParams(params: unknown): FarnebackParams {
  const parsed = FarnebackParamsSchema.safeParse(params ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(params)'}: ${i.message}`).join('; ');
    throw new VadError(
      'model_invalid',
      `builtin flow "${BUILTIN_FLOW_NAME}" params are invalid (${problems}); fix stages.flow.params in manifest.json or drop them to use the defaults`,
      { params },
    );
  }
  return { ...parsed.data };
}

// --- OpenCV loading ---------------------------------------------------------------------------

/** The few members of the OpenCV WASM module used here. */
interface OpenCv {
  Mat: new (rows: number, cols: number, type: number) => CvMat;
  CV_8UC1: number;
  CV_32FC2: number;
  OPTFLOW_FARNEBACK_GAUSSIAN?: number;
  calcOpticalFlowFarneback(
    prev: CvMat,
    next: CvMat,
    flow: CvMat,
    pyrScale: number,
    levels: number,
    winSize: number,
    iterations: number,
    polyN: number,
    polySigma: number,
    flags: number,
  ): void;
}
interface CvMat {
  readonly rows: number;
  readonly cols: number;
  /** Fresh views onto the WASM heap on every access: never keep them across calls (the heap can grow). */
  readonly data: Uint8Array;
  readonly data32F: Float32Array;
  delete(): void;
}

const OPENCV_LOAD_TIMEOUT_MS = 30_000;
const OPTFLOW_FARNEBACK_GAUSSIAN = 256;
let openCvLoading: Promise<{ cv: OpenCv }> | undefined;

/**
 * The Emscripten module is a thenable that never settles the way `await` expects, so it is wrapped
 * in `{ cv }` and readiness is detected by polling for `cv.Mat` (not by taking over
 * `onRuntimeInitialized`, which another loader in the process may also be using).
 */
function loadOpenCv(): Promise<{ cv: OpenCv }> {
  openCvLoading ??= new Promise((resolve, reject) => {
    let cv: OpenCv;
    try {
      cv = requireOpenCvKeepingProcessHandlers();
    } catch (e) {
      reject(new VadError('internal', `cannot load @techstark/opencv-js for the builtin flow: ${(e as Error).message}`, undefined, { cause: e }));
      return;
    }
    const started = Date.now();
    const poll = (): void => {
      if (typeof cv.Mat === 'function' && typeof cv.calcOpticalFlowFarneback === 'function') resolve({ cv });
      else if (Date.now() - started > OPENCV_LOAD_TIMEOUT_MS)
        reject(new VadError('internal', `OpenCV WASM did not initialise within ${OPENCV_LOAD_TIMEOUT_MS} ms`));
      else setTimeout(poll, 5);
    };
    poll();
  });
  return openCvLoading;
}

/**
 * opencv.js (Emscripten, Node branch) installs process-wide `uncaughtException` (rethrow) and
 * `unhandledRejection` (→ `abort()`, which also kills the WASM runtime) listeners on load. A server
 * must keep Node's own semantics and its own handlers, so the listeners it adds are removed again.
 */
function requireOpenCvKeepingProcessHandlers(): OpenCv {
  const events = ['uncaughtException', 'unhandledRejection'];
  const listeners = (ev: string) => process.listeners(ev as 'uncaughtException') as unknown[];
  const before = events.map((ev) => new Set(listeners(ev)));
  try {
    // A plain require on purpose: import() interop would copy the module's properties before the
    // runtime has initialised (and resolve the thenable).
    return require('@techstark/opencv-js') as OpenCv;
  } finally {
    events.forEach((ev, i) => {
      for (const listener of listeners(ev)) {
        if (!before[i]!.has(listener)) process.removeListener(ev, listener as (...args: unknown[]) => void);
      }
    });
  }
}

// --- The flow -----------------------------------------------------------------------------------

/** Buffers for one working size: allocated once, reused for every pair, freed on release. */
interface SizeState {
  readonly height: number;
  readonly width: number;
  readonly prev: CvMat;
  readonly next: CvMat;
  readonly flow: CvMat;
  readonly shrink: ShrinkPlan;
  readonly grow: GrowPlan;
  /** Which frame `next` holds the grey image of: the array, and its values at a few indices. */
  readonly lastGrey: { source: Float32Array | undefined; readonly at: Int32Array; readonly samples: Float32Array };
}

/** Sampled positions spread over all three planes (a refilled buffer differs at nearly all of them). */
const GREY_KEY_SAMPLES = 61;
function greyKey(length: number): SizeState['lastGrey'] {
  const at = Int32Array.from({ length: GREY_KEY_SAMPLES }, (_, i) => Math.floor(((i + 0.5) * length) / GREY_KEY_SAMPLES));
  return { source: undefined, at, samples: new Float32Array(GREY_KEY_SAMPLES) };
}

class FarnebackFlow implements BuiltinFlow {
  readonly name = BUILTIN_FLOW_NAME;
  private state: SizeState | undefined;
  private released = false;
  private readonly flags: number;

  constructor(
    private readonly cv: OpenCv,
    readonly params: FarnebackParams,
  ) {
    this.flags = params.gaussianWindow ? (cv.OPTFLOW_FARNEBACK_GAUSSIAN ?? OPTFLOW_FARNEBACK_GAUSSIAN) : 0;
  }

  compute(first: Float32Tensor, last: Float32Tensor, onlyIn?: Float32Array): Float32Tensor {
    if (this.released) throw new VadError('internal', 'builtin flow used after release()');
    const [height, width] = checkPair(first, last);
    let s = this.stateFor(height, width);
    if (s.lastGrey.source === first.data && s.lastGrey.samples.every((v, i) => Object.is(v, first.data[s.lastGrey.at[i]!]))) {
      // `first` is the previous call's `last`, unchanged: its grey image is already in `next`.
      s = this.swapPrevNext(s);
    } else {
      shrinkToGrey(first.data, s.shrink, s.prev.data);
    }
    shrinkToGrey(last.data, s.shrink, s.next.data);
    s.lastGrey.source = last.data;
    for (let i = 0; i < s.lastGrey.at.length; i++) s.lastGrey.samples[i] = last.data[s.lastGrey.at[i]!]!;
    const p = this.params;
    this.cv.calcOpticalFlowFarneback(s.prev, s.next, s.flow, p.pyrScale, p.levels, p.winSize, p.iterations, p.polyN, p.polySigma, this.flags);
    if (onlyIn) {
      const out = new Float32Array(2 * height * width);
      growInBoxes(s.flow.data32F, s.grow, onlyIn, out);
      return tensor('float32', out, [2, height, width]);
    }
    // growToPlanar writes every element, so the zero-fill `new Float32Array` does is skipped.
    const out = new Float32Array(Buffer.allocUnsafeSlow(8 * height * width).buffer, 0, 2 * height * width);
    growToPlanar(s.flow.data32F, s.grow, out);
    return tensor('float32', out, [2, height, width]);
  }

  release(): void {
    this.freeState();
    this.released = true;
  }

  private stateFor(height: number, width: number): SizeState {
    if (this.state && this.state.height === height && this.state.width === width) return this.state;
    this.freeState();
    const shrink = shrinkPlan(height, width, this.params.downscale);
    const { cv } = this;
    const prev = new cv.Mat(shrink.outHeight, shrink.outWidth, cv.CV_8UC1);
    const next = new cv.Mat(shrink.outHeight, shrink.outWidth, cv.CV_8UC1);
    const flow = new cv.Mat(shrink.outHeight, shrink.outWidth, cv.CV_32FC2);
    const grow = growPlan(shrink.outHeight, shrink.outWidth, height, width);
    this.state = { height, width, prev, next, flow, shrink, grow, lastGrey: greyKey(3 * height * width) };
    return this.state;
  }

  private swapPrevNext(s: SizeState): SizeState {
    this.state = { ...s, prev: s.next, next: s.prev };
    return this.state;
  }

  private freeState(): void {
    if (!this.state) return;
    this.state.prev.delete();
    this.state.next.delete();
    this.state.flow.delete();
    this.state = undefined;
  }
}

/** The smallest frame Farnebäck's polynomial expansion (poly_n 7) handles sensibly after shrinking. */
const MIN_SIDE = 16;

function checkPair(first: Float32Tensor, last: Float32Tensor): [number, number] {
  for (const [name, t] of [
    ['first', first],
    ['last', last],
  ] as const) {
    if (t.dtype !== 'float32' || t.shape.length !== 3 || t.shape[0] !== 3) {
      throw new VadError('bad_argument', `builtin flow: "${name}" must be a float32 RGB frame [3, H, W], got ${t.dtype} [${t.shape.join(', ')}]`);
    }
    if (t.data.length !== 3 * t.shape[1]! * t.shape[2]!) {
      throw new VadError('bad_argument', `builtin flow: "${name}" holds ${t.data.length} values, not 3×${t.shape[1]}×${t.shape[2]}`);
    }
  }
  const height = first.shape[1]!;
  const width = first.shape[2]!;
  if (last.shape[1] !== height || last.shape[2] !== width) {
    throw new VadError(
      'frame_size_mismatch',
      `builtin flow: frames differ in size (${height}×${width} vs ${last.shape[1]}×${last.shape[2]}); resize both to the model's imageSize first`,
      {
        first: [height, width],
        last: [last.shape[1], last.shape[2]],
      },
    );
  }
  if (height < MIN_SIDE || width < MIN_SIDE) {
    throw new VadError('bad_argument', `builtin flow: frames of ${height}×${width} are too small (at least ${MIN_SIDE}×${MIN_SIDE})`);
  }
  return [height, width];
}

// --- Pure pixel work (exported for the spec) -----------------------------------------------------

/** How a [H, W] frame maps onto the ceil(H/d) × ceil(W/d) grid Farnebäck runs on. */
export interface ShrinkPlan {
  readonly height: number;
  readonly width: number;
  readonly factor: number;
  readonly outHeight: number;
  readonly outWidth: number;
  /** Output column of each input column. */
  readonly colToOut: Int32Array;
  /** 255 / (number of input columns) of each output column; rows are divided separately. */
  readonly colScale: Float32Array;
}

export function shrinkPlan(height: number, width: number, factor: number): ShrinkPlan {
  const outHeight = Math.ceil(height / factor);
  const outWidth = Math.ceil(width / factor);
  const colToOut = new Int32Array(width);
  const colScale = new Float32Array(outWidth);
  for (let x = 0; x < width; x++) colToOut[x] = Math.floor(x / factor);
  for (let ox = 0; ox < outWidth; ox++) colScale[ox] = 255 / (Math.min(width, (ox + 1) * factor) - ox * factor);
  return { height, width, factor, outHeight, outWidth, colToOut, colScale };
}

/**
 * Planar float RGB [3, H, W] in [0, 1] → grey uint8 (BT.601 weights, as cv.cvtColor RGB2GRAY) on
 * the shrunk grid (box average of each factor×factor block; edge blocks average what they hold),
 * written straight into `out` (an OpenCV Mat's heap view) with rounding and clamping.
 */
export function shrinkToGrey(rgb: Float32Array, plan: ShrinkPlan, out: Uint8Array): void {
  const { height, width, factor, outWidth, colToOut, colScale } = plan;
  const plane = height * width;
  const clamped = new Uint8ClampedArray(out.buffer, out.byteOffset, plan.outHeight * outWidth);
  if (factor === 1) {
    for (let i = 0; i < plane; i++) clamped[i] = 255 * (0.299 * rgb[i]! + 0.587 * rgb[plane + i]! + 0.114 * rgb[2 * plane + i]!);
    return;
  }
  if (factor === 2) {
    shrinkByTwo(rgb, plan, clamped);
    return;
  }
  const acc = new Float32Array(outWidth);
  for (let oy = 0, y0 = 0; y0 < height; oy++, y0 += factor) {
    acc.fill(0);
    const y1 = Math.min(height, y0 + factor);
    for (let y = y0; y < y1; y++) {
      const row = y * width;
      for (let x = 0; x < width; x++) {
        const i = row + x;
        acc[colToOut[x]!] += 0.299 * rgb[i]! + 0.587 * rgb[plane + i]! + 0.114 * rgb[2 * plane + i]!;
      }
    }
    const rowScale = 1 / (y1 - y0);
    const o = oy * outWidth;
    for (let ox = 0; ox < outWidth; ox++) clamped[o + ox] = acc[ox]! * colScale[ox]! * rowScale;
  }
}

/**
 * shrinkToGrey for factor 2, the default: the same float32 sums in the same order as the general
 * loop (row y0's two pixels, then row y0 + 1's, each add rounded to float32 as the accumulator
 * array did), so the grey levels are bit-identical, without the accumulator array and the column map.
 */
function shrinkByTwo(rgb: Float32Array, plan: ShrinkPlan, out: Uint8ClampedArray): void {
  const { height, width, outWidth, colScale } = plan;
  const plane = height * width;
  const g = plane;
  const b = 2 * plane;
  const fround = Math.fround;
  for (let oy = 0, y0 = 0; y0 < height; oy++, y0 += 2) {
    const r0 = y0 * width;
    const twoRows = y0 + 1 < height;
    const r1 = r0 + width;
    const rowScale = twoRows ? 0.5 : 1;
    const o = oy * outWidth;
    for (let ox = 0, x = 0; x < width; ox++, x += 2) {
      let i = r0 + x;
      let acc = fround(0.299 * rgb[i]! + 0.587 * rgb[g + i]! + 0.114 * rgb[b + i]!);
      const twoCols = x + 1 < width;
      if (twoCols) acc = fround(acc + (0.299 * rgb[i + 1]! + 0.587 * rgb[g + i + 1]! + 0.114 * rgb[b + i + 1]!));
      if (twoRows) {
        i = r1 + x;
        acc = fround(acc + (0.299 * rgb[i]! + 0.587 * rgb[g + i]! + 0.114 * rgb[b + i]!));
        if (twoCols) acc = fround(acc + (0.299 * rgb[i + 1]! + 0.587 * rgb[g + i + 1]! + 0.114 * rgb[b + i + 1]!));
      }
      out[o + ox] = acc * colScale[ox]! * rowScale;
    }
  }
}

/** Bilinear map from the flow grid (h, w) back to the frame (H, W), half-pixel centres, edge clamp. */
export interface GrowPlan {
  readonly inHeight: number;
  readonly inWidth: number;
  readonly height: number;
  readonly width: number;
  readonly x0: Int32Array;
  readonly x1: Int32Array;
  readonly fx: Float32Array;
  readonly y0: Int32Array;
  readonly y1: Int32Array;
  readonly fy: Float32Array;
  /** Displacements grow with the grid: u × W/w, v × H/h. */
  readonly scaleU: number;
  readonly scaleV: number;
  /** Two source rows interpolated along x (growToPlanar's scratch; one plan per flow instance). */
  readonly rowCache: { readonly source: Int32Array; readonly u: Float64Array[]; readonly v: Float64Array[] };
}

export function growPlan(inHeight: number, inWidth: number, height: number, width: number): GrowPlan {
  const axis = (n: number, size: number) => {
    const i0 = new Int32Array(size);
    const i1 = new Int32Array(size);
    const f = new Float32Array(size);
    for (let o = 0; o < size; o++) {
      const src = Math.min(Math.max((o + 0.5) * (n / size) - 0.5, 0), n - 1);
      const lo = Math.floor(src);
      i0[o] = lo;
      i1[o] = Math.min(lo + 1, n - 1);
      f[o] = src - lo;
    }
    return { i0, i1, f };
  };
  const xs = axis(inWidth, width);
  const ys = axis(inHeight, height);
  const rowCache = { source: new Int32Array(2), u: [new Float64Array(width), new Float64Array(width)], v: [new Float64Array(width), new Float64Array(width)] };
  return {
    inHeight,
    inWidth,
    height,
    width,
    x0: xs.i0,
    x1: xs.i1,
    fx: xs.f,
    y0: ys.i0,
    y1: ys.i1,
    fy: ys.f,
    scaleU: width / inWidth,
    scaleV: height / inHeight,
    rowCache,
  };
}

/** Interleaved (u, v) flow on the shrunk grid → planar [2, H, W] at frame size, vectors rescaled. */
export function growToPlanar(flow: Float32Array, plan: GrowPlan, out: Float32Array): void {
  const { inWidth, height, width, x0, x1, fx, y0, y1, fy, scaleU, scaleV } = plan;
  const plane = height * width;
  if (plan.inHeight === height && inWidth === width) {
    for (let i = 0; i < plane; i++) {
      out[i] = flow[2 * i]!;
      out[plane + i] = flow[2 * i + 1]!;
    }
    return;
  }
  // Each source row is interpolated along x once (in float64, the same values the per-pixel form
  // computed) and kept while output rows still read it: upsampling by 2 reads every row pair twice.
  const rows = plan.rowCache;
  const widen = (sy: number, slot: number): void => {
    if (rows.source[slot] === sy) return;
    rows.source[slot] = sy;
    const r = 2 * sy * inWidth;
    const u = rows.u[slot]!;
    const v = rows.v[slot]!;
    for (let x = 0; x < width; x++) {
      const a = r + 2 * x0[x]!;
      const b = r + 2 * x1[x]!;
      const wx = fx[x]!;
      u[x] = flow[a]! + wx * (flow[b]! - flow[a]!);
      v[x] = flow[a + 1]! + wx * (flow[b + 1]! - flow[a + 1]!);
    }
  };
  rows.source.fill(-1); // a new flow: nothing cached is valid
  for (let y = 0; y < height; y++) {
    const s0 = y0[y]!;
    const s1 = y1[y]!;
    // Slot = source row parity, so consecutive source rows never evict each other.
    widen(s0, s0 & 1);
    widen(s1, s1 & 1);
    const u0 = rows.u[s0 & 1]!;
    const v0 = rows.v[s0 & 1]!;
    const u1 = rows.u[s1 & 1]!;
    const v1 = rows.v[s1 & 1]!;
    const wy = fy[y]!;
    const o = y * width;
    for (let x = 0; x < width; x++) {
      out[o + x] = (u0[x]! + wy * (u1[x]! - u0[x]!)) * scaleU;
      out[plane + o + x] = (v0[x]! + wy * (v1[x]! - v0[x]!)) * scaleV;
    }
  }
}

/**
 * growToPlanar restricted to the pixels boxes cover ([⌊x1⌋, ⌈x2⌉] × [⌊y1⌋, ⌈y2⌉], clipped): each is
 * interpolated with the same float64 operations as there, so it gets the same float32 value; `out`
 * is left untouched elsewhere. Overlapping boxes just write their shared pixels twice.
 */
export function growInBoxes(flow: Float32Array, plan: GrowPlan, boxes: Float32Array, out: Float32Array): void {
  const { inWidth, height, width, x0, x1, fx, y0, y1, fy, scaleU, scaleV } = plan;
  const plane = height * width;
  const same = plan.inHeight === height && inWidth === width;
  const clip = (v: number, n: number) => Math.min(Math.max(v, 0), n - 1);
  for (let i = 0; i + 3 < boxes.length; i += 4) {
    const bx1 = clip(Math.floor(boxes[i]!), width);
    const by1 = clip(Math.floor(boxes[i + 1]!), height);
    const bx2 = clip(Math.ceil(boxes[i + 2]!), width);
    const by2 = clip(Math.ceil(boxes[i + 3]!), height);
    for (let y = by1; y <= by2; y++) {
      const o = y * width;
      if (same) {
        for (let x = bx1; x <= bx2; x++) {
          out[o + x] = flow[2 * (o + x)]!;
          out[plane + o + x] = flow[2 * (o + x) + 1]!;
        }
        continue;
      }
      const r0 = 2 * y0[y]! * inWidth;
      const r1 = 2 * y1[y]! * inWidth;
      const wy = fy[y]!;
      for (let x = bx1; x <= bx2; x++) {
        const a = 2 * x0[x]!;
        const c = 2 * x1[x]!;
        const wx = fx[x]!;
        const u0 = flow[r0 + a]! + wx * (flow[r0 + c]! - flow[r0 + a]!);
        const v0 = flow[r0 + a + 1]! + wx * (flow[r0 + c + 1]! - flow[r0 + a + 1]!);
        const u1 = flow[r1 + a]! + wx * (flow[r1 + c]! - flow[r1 + a]!);
        const v1 = flow[r1 + a + 1]! + wx * (flow[r1 + c + 1]! - flow[r1 + a + 1]!);
        out[o + x] = (u0 + wy * (u1 - u0)) * scaleU;
        out[plane + o + x] = (v0 + wy * (v1 - v0)) * scaleV;
      }
    }
  }
}
