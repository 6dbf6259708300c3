import { VadError } from '../errors';
import { type Float32Tensor, float32 } from '../tensor';
import {
  BUILTIN_FLOW_NAME,
  DEFAULT_BUILTIN_FLOW_PARAMS,
  growPlan,
  growToPlanar,
  loadBuiltinFlow,
  builtinFlowStage,
  loadBuiltinFlowForStage,
  parseBuiltinFlowParams,
  shrinkPlan,
  shrinkToGrey,
} from './builtin-flow';

/** A smooth random texture in [0, 1] (value noise), independent of the code under test. */
function texture(height: number, width: number, seed: number, cell = 4): Float32Array {
  let s = seed >>> 0;
  const rnd = () => (s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296;
  const gw = Math.ceil(width / cell) + 2;
  const gh = Math.ceil(height / cell) + 2;
  const grid = Float32Array.from({ length: gw * gh }, rnd);
  const out = new Float32Array(height * width);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const gx = x / cell;
      const gy = y / cell;
      const ix = Math.floor(gx);
      const iy = Math.floor(gy);
      const fx = gx - ix;
      const fy = gy - iy;
      const a = grid[iy * gw + ix]! * (1 - fx) + grid[iy * gw + ix + 1]! * fx;
      const b = grid[(iy + 1) * gw + ix]! * (1 - fx) + grid[(iy + 1) * gw + ix + 1]! * fx;
      out[y * width + x] = a * (1 - fy) + b * fy;
    }
  }
  return out;
}

interface Patch {
  x: number;
  y: number;
  w: number;
  h: number;
}

/** Static textured background with a differently textured patch at `patch` (integer position). */
function frame(height: number, width: number, patch: Patch | undefined, shift: [number, number] = [0, 0]): Float32Tensor {
  const bg = texture(height + 20, width + 20, 11);
  const fg = texture(patch?.h ?? 1, patch?.w ?? 1, 29, 3);
  const out = new Float32Array(3 * height * width);
  const plane = height * width;
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      // A global shift moves the whole background (the texture is wider than the frame).
      let v = 0.15 + 0.6 * bg[(y + 10 - shift[1]) * (width + 20) + (x + 10 - shift[0])]!;
      if (patch && x >= patch.x && x < patch.x + patch.w && y >= patch.y && y < patch.y + patch.h) {
        v = 0.1 + 0.85 * fg[(y - patch.y) * patch.w + (x - patch.x)]!;
      }
      const i = y * width + x;
      out[i] = v;
      out[plane + i] = 0.9 * v;
      out[2 * plane + i] = 0.8 * v + 0.1;
    }
  }
  return float32(out, [3, height, width]);
}

function meanFlow(flow: Float32Tensor, region: { x0: number; y0: number; x1: number; y1: number }): { u: number; v: number; mag: number } {
  const [, h, w] = flow.shape as [number, number, number];
  let u = 0;
  let v = 0;
  let mag = 0;
  let n = 0;
  for (let y = region.y0; y < region.y1; y++) {
    for (let x = region.x0; x < region.x1; x++) {
      const du = flow.data[y * w + x]!;
      const dv = flow.data[h * w + y * w + x]!;
      u += du;
      v += dv;
      mag += Math.hypot(du, dv);
      n++;
    }
  }
  return { u: u / n, v: v / n, mag: mag / n };
}

describe('loadBuiltinFlow', () => {
  it('records its name and fully resolved, JSON-clean params for the manifest', async () => {
    const flow = await loadBuiltinFlow({ iterations: 3 });
    try {
      expect(flow.name).toBe(BUILTIN_FLOW_NAME);
      expect(flow.params).toEqual({ ...DEFAULT_BUILTIN_FLOW_PARAMS, iterations: 3 });
      expect(JSON.parse(JSON.stringify(flow.params))).toEqual(flow.params);
      expect(parseBuiltinFlowParams(flow.params)).toEqual(flow.params);
    } finally {
      flow.release();
    }
  });

  it('round-trips through a manifest stage and refuses a stage fitted with another flow', async () => {
    const flow = await loadBuiltinFlow({ winSize: 13 });
    const stage = JSON.parse(JSON.stringify(builtinFlowStage(flow))) as ReturnType<typeof builtinFlowStage>;
    flow.release();
    expect(stage).toEqual({ kind: 'builtin', name: BUILTIN_FLOW_NAME, params: { ...DEFAULT_BUILTIN_FLOW_PARAMS, winSize: 13 } });
    const again = await loadBuiltinFlowForStage(stage);
    expect(again.params).toEqual(stage.params);
    again.release();
    const err = await loadBuiltinFlowForStage({ name: 'tvl1-opencv-4.5', params: {} }).catch((e: unknown) => e);
    expect((err as VadError).code).toBe('model_invalid');
    expect((err as VadError).message).toMatch(/tvl1-opencv-4.5/);
  });

  it('loads OpenCV once for concurrent callers and leaves process handlers alone', async () => {
    const before = [process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')];
    const flows = await Promise.all([loadBuiltinFlow(), loadBuiltinFlow(), loadBuiltinFlow({ winSize: 9 })]);
    const a = frame(48, 64, undefined);
    const b = frame(48, 64, undefined, [1, 0]);
    const results = flows.map((f) => f.compute(a, b));
    expect(results[0]!.data).toEqual(results[1]!.data);
    flows.forEach((f) => f.release());
    expect([process.listenerCount('uncaughtException'), process.listenerCount('unhandledRejection')]).toEqual(before);
  });

  it.each([
    [{ winSize: 2 }, /winSize/],
    [{ polyN: 6 }, /polyN/],
    [{ downscale: 1.5 }, /downscale/],
    [{ pyr_scale: 0.5 }, /pyr_scale/],
  ])('refuses params %j with model_invalid', async (params, mention) => {
    const err = await loadBuiltinFlow(params as never).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(VadError);
    expect((err as VadError).code).toBe('model_invalid');
    expect((err as VadError).message).toMatch(mention);
  });
});

describe('BuiltinFlow.compute', () => {
  const H = 240;
  const W = 360;
  const patch: Patch = { x: 150, y: 90, w: 40, h: 60 };

  it.each([
    ['default (half-resolution) params', {}],
    ['full resolution', { downscale: 1 }],
  ])('recovers a known shift of a moving patch and stays still on the background: %s', async (_, params) => {
    const flow = await loadBuiltinFlow(params);
    try {
      const [dx, dy] = [3, -2];
      const result = flow.compute(frame(H, W, patch), frame(H, W, { ...patch, x: patch.x + dx, y: patch.y + dy }));
      expect(result.shape).toEqual([2, H, W]);
      expect(result.dtype).toBe('float32');
      // The interior of the patch as seen in both frames, away from its edges.
      const inner = meanFlow(result, { x0: patch.x + dx + 6, y0: patch.y + 6, x1: patch.x + patch.w - 6, y1: patch.y + patch.h + dy - 6 });
      expect(Math.abs(inner.u - dx)).toBeLessThan(0.3);
      expect(Math.abs(inner.v - dy)).toBeLessThan(0.3);
      // Static background well away from the patch.
      const still = meanFlow(result, { x0: 0, y0: 0, x1: 100, y1: 60 });
      expect(still.mag).toBeLessThan(0.05);
      const still2 = meanFlow(result, { x0: 250, y0: 170, x1: W, y1: H });
      expect(still2.mag).toBeLessThan(0.05);
    } finally {
      flow.release();
    }
  });

  it('gives displacements in working-size pixels also for odd sizes (edge blocks of the shrink)', async () => {
    const flow = await loadBuiltinFlow();
    try {
      const [h, w] = [121, 183];
      const result = flow.compute(frame(h, w, undefined), frame(h, w, undefined, [2, 1]));
      const centre = meanFlow(result, { x0: 40, y0: 30, x1: w - 40, y1: h - 30 });
      expect(Math.abs(centre.u - 2)).toBeLessThan(0.2);
      expect(Math.abs(centre.v - 1)).toBeLessThan(0.2);
    } finally {
      flow.release();
    }
  });

  it('gives zero flow for identical frames and reuses its buffers across calls and sizes', async () => {
    const flow = await loadBuiltinFlow();
    try {
      const a = frame(H, W, patch);
      const first = flow.compute(a, frame(H, W, { ...patch, x: patch.x + 2 }));
      expect(meanFlow(flow.compute(a, a), { x0: 0, y0: 0, x1: W, y1: H }).mag).toBeLessThan(1e-3);
      const small = flow.compute(frame(64, 96, undefined), frame(64, 96, undefined, [1, 1]));
      expect(small.shape).toEqual([2, 64, 96]);
      const again = flow.compute(a, frame(H, W, { ...patch, x: patch.x + 2 }));
      expect(again.data).toEqual(first.data);
    } finally {
      flow.release();
    }
  });

  it('refuses mismatched, malformed or tiny frames with a stable code, and use after release', async () => {
    const flow = await loadBuiltinFlow();
    const codeOf = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e instanceof VadError ? e.code : `not a VadError: ${String(e)}`;
      }
      return 'no error';
    };
    const a = frame(48, 64, undefined);
    expect(codeOf(() => flow.compute(a, frame(48, 66, undefined)))).toBe('frame_size_mismatch');
    expect(codeOf(() => flow.compute(a, float32(new Float32Array(48 * 64), [1, 48, 64])))).toBe('bad_argument');
    expect(codeOf(() => flow.compute({ ...a, shape: [3, 48, 65] }, a))).toBe('bad_argument');
    expect(codeOf(() => flow.compute(frame(8, 64, undefined), frame(8, 64, undefined)))).toBe('bad_argument');
    flow.release();
    expect(codeOf(() => flow.compute(a, a))).toBe('internal');
  });
});

describe('shrinkToGrey', () => {
  it('converts planar RGB to BT.601 grey and averages factor×factor blocks, partial blocks at the edges', () => {
    // 3×3 image, factor 2 → 2×2 grid; the last column/row are blocks of 2 and 1 pixels.
    const grey = [
      [0.0, 0.2, 0.45],
      [0.6, 0.8, 1.0],
      [0.1, 0.3, 0.55],
    ];
    const plane = 9;
    const rgb = new Float32Array(27);
    grey.flat().forEach((g, i) => {
      rgb[i] = g;
      rgb[plane + i] = g;
      rgb[2 * plane + i] = g;
    });
    const plan = shrinkPlan(3, 3, 2);
    const out = new Uint8Array(4);
    shrinkToGrey(rgb, plan, out);
    const expected = [(0 + 0.2 + 0.6 + 0.8) / 4, (0.45 + 1.0) / 2, (0.1 + 0.3) / 2, 0.55].map((g) => Math.round(255 * g));
    expect(Array.from(out)).toEqual(expected);

    const red = new Float32Array(3 * 4).fill(0);
    red.fill(1, 0, 4);
    const one = new Uint8Array(4);
    shrinkToGrey(red, shrinkPlan(2, 2, 1), one);
    expect(Array.from(one)).toEqual([76, 76, 76, 76]);
  });

  it('clamps values outside [0, 1]', () => {
    const rgb = new Float32Array([2, -1, 2, -1, 2, -1]);
    const out = new Uint8Array(2);
    shrinkToGrey(rgb, shrinkPlan(1, 2, 1), out);
    expect(Array.from(out)).toEqual([255, 0]);
  });
});

describe('growToPlanar', () => {
  it('scales vectors by the grid ratio and interpolates linear fields exactly inside', () => {
    const [h, w] = [6, 8];
    const flow = new Float32Array(2 * h * w);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        flow[2 * (y * w + x)] = 1; // constant u
        flow[2 * (y * w + x) + 1] = x; // v grows along x
      }
    }
    const [H, W] = [12, 16];
    const out = new Float32Array(2 * H * W);
    growToPlanar(flow, growPlan(h, w, H, W), out);
    for (let i = 0; i < H * W; i++) expect(out[i]).toBeCloseTo(2, 6);
    // Output column X samples source column (X + 0.5) / 2 − 0.5 (half-pixel centres), clamped.
    for (const X of [1, 5, 9, 14]) expect(out[H * W + 3 * W + X]).toBeCloseTo(2 * ((X + 0.5) / 2 - 0.5), 5);
    expect(out[H * W + 3 * W]).toBeCloseTo(0, 6);
    expect(out[H * W + 3 * W + W - 1]).toBeCloseTo(2 * (w - 1), 5);
  });

  it('copies interleaved to planar unchanged when the sizes agree', () => {
    const flow = new Float32Array([1, 2, 3, 4, 5, 6]);
    const out = new Float32Array(6);
    growToPlanar(flow, growPlan(1, 3, 1, 3), out);
    expect(Array.from(out)).toEqual([1, 3, 5, 2, 4, 6]);
  });
});
