import { VadError } from '../errors';
import { type Float32Tensor, float32 } from '../tensor';
import {
  BUILTIN_FLOW_NAME,
  DEFAULT_BUILTIN_FLOW_PARAMS,
  growInBoxes,
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

  it('reuses the grey image of the previous last frame only while that frame is unchanged', async () => {
    const [a, b, c] = [0, 2, 4].map((dx) => frame(H, W, { ...patch, x: patch.x + dx }));
    const fresh = await loadBuiltinFlow();
    const chained = await loadBuiltinFlow();
    try {
      const want = fresh.compute(b!, c!).data;
      chained.compute(a!, b!);
      expect(chained.compute(b!, c!).data).toEqual(want); // b's grey image taken over from the first call
      // The same array refilled with another frame: converted again, not mistaken for the old one.
      c!.data.set(a!.data);
      expect(chained.compute(c!, b!).data).toEqual(fresh.compute(a!, b!).data);
    } finally {
      fresh.release();
      chained.release();
    }
  });

  it('fills only the pixels of onlyIn boxes, with exactly the values of the whole field there', async () => {
    const flow = await loadBuiltinFlow();
    try {
      const a = frame(H, W, patch);
      const b = frame(H, W, { ...patch, x: patch.x + 3, y: patch.y - 1 });
      const whole = flow.compute(a, b);
      const boxes = Float32Array.from([150.4, 88.6, 195.2, 151, -4, 200.5, 30, 260, 350, -2, 365, 10, 160, 100, 170, 110]);
      const part = flow.compute(a, b, boxes);
      const inside = new Uint8Array(H * W);
      for (let i = 0; i < boxes.length; i += 4) {
        const [x1, y1, x2, y2] = [Math.floor(boxes[i]!), Math.floor(boxes[i + 1]!), Math.ceil(boxes[i + 2]!), Math.ceil(boxes[i + 3]!)];
        for (let y = Math.max(0, y1); y <= Math.min(H - 1, y2); y++) for (let x = Math.max(0, x1); x <= Math.min(W - 1, x2); x++) inside[y * W + x] = 1;
      }
      let moving = 0;
      for (let c = 0; c < 2; c++)
        for (let p = 0; p < H * W; p++) {
          const got = part.data[c * H * W + p]!;
          if (inside[p]) {
            if (!Object.is(got, whole.data[c * H * W + p])) throw new Error(`channel ${c} pixel ${p}: ${got} vs ${whole.data[c * H * W + p]}`);
            if (Math.abs(got) > 1) moving++;
          } else if (got !== 0) throw new Error(`channel ${c} pixel ${p} outside the boxes is ${got}`);
        }
      expect(moving).toBeGreaterThan(100); // the patch's motion is inside the first box
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

  it.each([
    [240, 360],
    [121, 183],
    [17, 2],
    [1, 5],
  ])('gives the general accumulator loop bit for bit at factor 2 (%i×%i)', (h, w) => {
    let state = h * 1000 + w;
    const rand = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296;
    const rgb = Float32Array.from({ length: 3 * h * w }, () => rand());
    const plan = shrinkPlan(h, w, 2);
    // The general form: a float32 accumulator per output column, rows summed in order.
    const want = new Uint8ClampedArray(plan.outHeight * plan.outWidth);
    const acc = new Float32Array(plan.outWidth);
    for (let oy = 0; oy < plan.outHeight; oy++) {
      acc.fill(0);
      const y1 = Math.min(h, 2 * oy + 2);
      for (let y = 2 * oy; y < y1; y++)
        for (let x = 0; x < w; x++) {
          const i = y * w + x;
          acc[x >> 1] += 0.299 * rgb[i]! + 0.587 * rgb[h * w + i]! + 0.114 * rgb[2 * h * w + i]!;
        }
      for (let ox = 0; ox < plan.outWidth; ox++) want[oy * plan.outWidth + ox] = acc[ox]! * plan.colScale[ox]! * (1 / (y1 - 2 * oy));
    }
    const out = new Uint8Array(plan.outHeight * plan.outWidth);
    shrinkToGrey(rgb, plan, out);
    expect(Array.from(out)).toEqual(Array.from(want));
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

  it.each([
    [6, 8, 12, 16],
    [5, 7, 9, 13],
    [4, 4, 4, 4],
  ])('restricted to boxes (growInBoxes), gives the same values inside them and leaves the rest (%i×%i → %i×%i)', (h, w, H, W) => {
    const flow = Float32Array.from({ length: 2 * h * w }, (_, i) => Math.sin(i * 1.7) * 3);
    const plan = growPlan(h, w, H, W);
    const full = new Float32Array(2 * H * W);
    growToPlanar(flow, plan, full);
    const part = new Float32Array(2 * H * W).fill(NaN);
    const boxes = Float32Array.from([1.5, 0.2, 3, 2.7, W - 3, H - 2, W + 4, H + 1]);
    growInBoxes(flow, plan, boxes, part);
    let filled = 0;
    for (let i = 0; i < 2 * H * W; i++) {
      if (Number.isNaN(part[i])) continue;
      expect(part[i]).toBe(full[i]);
      filled++;
    }
    // Box 1 covers x 1..3, y 0..3; box 2 x W−3..W−1, y H−2..H−1 (clipped); both channels.
    const covered = new Set<number>();
    for (let y = 0; y < 4; y++) for (let x = 1; x <= 3; x++) covered.add(y * W + x);
    for (let y = H - 2; y < H; y++) for (let x = W - 3; x < W; x++) covered.add(y * W + x);
    expect(filled).toBe(2 * covered.size);
  });

  it('copies interleaved to planar unchanged when the sizes agree', () => {
    const flow = new Float32Array([1, 2, 3, 4, 5, 6]);
    const out = new Float32Array(6);
    growToPlanar(flow, growPlan(1, 3, 1, 3), out);
    expect(Array.from(out)).toEqual([1, 3, 5, 2, 4, 6]);
  });
});
