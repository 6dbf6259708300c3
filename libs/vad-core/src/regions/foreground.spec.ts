import { VadError } from '../errors';
import { type Float32Tensor, tensor } from '../tensor';
import { clearDetectorBoxes, componentBoxes, foregroundDetections, foregroundMask, foregroundMaskTwoPass, gaussianKernel1d } from './foreground';
import { REGION_SOURCE } from './regions';

const T18 = { kernelSize: 3, binaryThreshold: 18 };

function frame(h: number, w: number, fill: (c: number, y: number, x: number) => number): Float32Tensor {
  const data = new Float32Array(3 * h * w);
  for (let c = 0; c < 3; c++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(c * h + y) * w + x] = fill(c, y, x);
  return tensor('float32', data, [3, h, w]);
}

function maskFrom(rows: string[]): { mask: Uint8Array; h: number; w: number } {
  const h = rows.length;
  const w = rows[0].length;
  const mask = new Uint8Array(h * w);
  rows.forEach((r, y) => [...r].forEach((ch, x) => (mask[y * w + x] = ch === '#' ? 1 : 0)));
  return { mask, h, w };
}

function boxesOf(b: Float32Array): number[][] {
  const out: number[][] = [];
  for (let i = 0; i < b.length; i += 4) out.push(Array.from(b.subarray(i, i + 4)));
  return out;
}

/**
 * The spec, read literally and written the slow way: blur each frame with a 2-D kernel over a
 * torch-style reflect-padded copy, |difference|, grey, threshold, clear grown boxes, then label
 * components by flood fill in raster order. Shares no code with the implementation.
 */
function referenceForeground(first: Float32Tensor, last: Float32Tensor, boxes: number[][], k: number, t: number): number[][] {
  const [, h, w] = first.shape;
  const sigma = 0.3 * ((k - 1) * 0.5 - 1) + 0.8;
  const g = Array.from({ length: k }, (_, i) => Math.exp(-0.5 * ((i - (k - 1) / 2) / sigma) ** 2));
  const sum = g.reduce((a, b) => a + b, 0);
  const k1 = g.map((v) => v / sum);
  const p = (k - 1) / 2;
  const refl = (i: number, n: number): number => (i < 0 ? -i : i >= n ? 2 * n - 2 - i : i);
  const blur = (f: Float32Tensor, c: number, y: number, x: number): number => {
    let s = 0;
    for (let dy = 0; dy < k; dy++) for (let dx = 0; dx < k; dx++) s += k1[dy] * k1[dx] * f.data[(c * h + refl(y + dy - p, h)) * w + refl(x + dx - p, w)];
    return s;
  };
  const fg: boolean[][] = [];
  for (let y = 0; y < h; y++) {
    fg.push([]);
    for (let x = 0; x < w; x++) {
      const d = [0, 1, 2].map((c) => Math.abs(blur(first, c, y, x) - blur(last, c, y, x)));
      fg[y].push(0.2989 * d[0] + 0.587 * d[1] + 0.114 * d[2] > Math.fround(t / 255));
    }
  }
  for (const [bx1, by1, bx2, by2] of boxes) {
    for (let y = Math.max(0, Math.trunc(by1) - 2); y <= Math.min(h - 1, Math.trunc(by2) + 2); y++)
      for (let x = Math.max(0, Math.trunc(bx1) - 2); x <= Math.min(w - 1, Math.trunc(bx2) + 2); x++) fg[y][x] = false;
  }
  return floodFillBoxes(fg);
}

/** Boxes of the 8-connected components of `fg` by flood fill, in raster order of their first pixel. */
function floodFillBoxes(fg: boolean[][]): number[][] {
  const h = fg.length;
  const w = fg[0]?.length ?? 0;
  const seen = fg.map((r) => r.map(() => false));
  const out: number[][] = [];
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++) {
      if (!fg[y][x] || seen[y][x]) continue;
      const box = [x, y, x, y];
      const stack = [[y, x]];
      seen[y][x] = true;
      while (stack.length) {
        const [cy, cx] = stack.pop()!;
        box[0] = Math.min(box[0], cx);
        box[1] = Math.min(box[1], cy);
        box[2] = Math.max(box[2], cx);
        box[3] = Math.max(box[3], cy);
        for (let dy = -1; dy <= 1; dy++)
          for (let dx = -1; dx <= 1; dx++) {
            const ny = cy + dy;
            const nx = cx + dx;
            if (ny >= 0 && ny < h && nx >= 0 && nx < w && fg[ny][nx] && !seen[ny][nx]) {
              seen[ny][nx] = true;
              stack.push([ny, nx]);
            }
          }
      }
      out.push(box);
    }
  return out;
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A textured background with a few bright blobs that move between the frames. */
function movingBlobs(seed: number, h: number, w: number): [Float32Tensor, Float32Tensor] {
  const rand = mulberry32(seed);
  const bg = Float32Array.from({ length: 3 * h * w }, () => 0.4 + 0.05 * rand());
  const blobs = Array.from({ length: 5 }, () => ({ x: rand() * w, y: rand() * h, r: 1 + rand() * 6, c: rand(), dx: 4 * rand() - 2, dy: 4 * rand() - 2 }));
  const draw = (shift: number) =>
    frame(h, w, (c, y, x) => {
      let v = bg[(c * h + y) * w + x];
      for (const b of blobs) if ((x - b.x - shift * b.dx) ** 2 + (y - b.y - shift * b.dy) ** 2 < b.r * b.r) v = c === 0 ? b.c : 1 - b.c;
      return v;
    });
  return [draw(0), draw(1)];
}

describe('foregroundDetections', () => {
  it.each([
    [1, 3, []],
    [2, 3, [[10.7, 5.2, 30.9, 25.5]]],
    [3, 5, []],
    [
      4,
      5,
      [
        [-3.5, -1, 12.2, 8.9],
        [50.1, 30.3, 70, 44],
      ],
    ],
    [5, 3, [[0, 0, 69, 44]]],
  ])('matches a literal implementation of the spec (seed %i, kernel %i)', (seed, k, boxes) => {
    const [first, last] = movingBlobs(seed, 45, 70);
    const got = foregroundDetections(first, last, Float32Array.from(boxes.flat()), { kernelSize: k, binaryThreshold: 18 });
    const want = referenceForeground(first, last, boxes, k, 18);
    expect(boxesOf(got.boxes)).toEqual(want);
    if (seed === 5)
      expect(want).toEqual([]); // a box over the whole frame removes everything
    else expect(want.length).toBeGreaterThan(0);
  });

  it('gives label 0, score 0.5 and source foreground to every region', () => {
    const [first, last] = movingBlobs(1, 45, 70);
    const r = foregroundDetections(first, last, new Float32Array(0), T18);
    expect(r.count).toBeGreaterThan(1);
    expect(Array.from(r.labels)).toEqual(new Array(r.count).fill(0));
    expect(Array.from(r.scores)).toEqual(new Array(r.count).fill(0.5));
    expect(Array.from(r.source)).toEqual(new Array(r.count).fill(REGION_SOURCE.foreground));
  });

  it('finds nothing when the frames are equal', () => {
    const [first] = movingBlobs(7, 30, 40);
    const r = foregroundDetections(first, first, new Float32Array(0), T18);
    expect(r.count).toBe(0);
    expect(r.boxes.length).toBe(0);
  });

  it('finds one box around a square that appears, grown by the blur', () => {
    const first = frame(20, 30, () => 0.2);
    const last = frame(20, 30, (_c, y, x) => (y >= 5 && y < 9 && x >= 10 && x < 16 ? 0.9 : 0.2));
    const r = foregroundDetections(first, last, new Float32Array(0), T18);
    expect(boxesOf(r.boxes)).toEqual([[9, 4, 16, 9]]);
  });

  it('refuses an even kernel and frames of different sizes', () => {
    const f = frame(8, 8, () => 0);
    expect(() => foregroundDetections(f, f, new Float32Array(0), { kernelSize: 4, binaryThreshold: 18 })).toThrow(/odd/);
    expect(() =>
      foregroundDetections(
        f,
        frame(8, 9, () => 0),
        new Float32Array(0),
        T18,
      ),
    ).toThrow(VadError);
  });
});

describe('foregroundMask', () => {
  it('pads with reflect-101 (torch "reflect"): the edge pixel is not repeated', () => {
    // Frames differ by d in column 0 only. With reflect-101 the blurred difference at x = 0 is
    // k[1]·d (0.522·d); with edge replication it would be (k[0] + k[1])·d (0.761·d).
    const h = 6;
    const diffAtLeftEdge = (d: number) => [frame(h, 5, () => 0.3), frame(h, 5, (_c, _y, x) => (x === 0 ? 0.3 + d : 0.3))] as const;
    const [a, b] = diffAtLeftEdge(0.12); // 0.0626 < 18/255 < 0.0913
    expect(Array.from(foregroundMask(a, b, T18)).every((v) => v === 0)).toBe(true);
    const [c, d] = diffAtLeftEdge(0.15); // column 0: 0.0783 > 18/255; column 1: 0.036
    const r = foregroundDetections(c, d, new Float32Array(0), T18);
    expect(boxesOf(r.boxes)).toEqual([[0, 0, 0, h - 1]]);
  });

  it('weights channels with 0.2989, 0.587, 0.114 (grey of the difference)', () => {
    // A uniform change in one channel only: grey = weight · |d| (the blur of a constant is itself).
    const t = Math.fround(18 / 255);
    const changed = (channel: number, d: number) =>
      foregroundMask(
        frame(4, 4, () => 0.5),
        frame(4, 4, (c) => (c === channel ? 0.5 + d : 0.5)),
        T18,
      );
    expect(changed(1, (t / 0.587) * 1.01)[0]).toBe(1);
    expect(changed(1, (t / 0.587) * 0.99)[0]).toBe(0);
    expect(changed(2, (t / 0.587) * 1.01)[0]).toBe(0); // blue weighs far less
    expect(changed(0, -(t / 0.2989) * 1.01)[0]).toBe(1); // |difference|: darker counts too
  });

  it.each([
    [1, 45, 70],
    [2, 2, 2],
    [3, 3, 7],
    [4, 17, 2],
    [5, 240, 360],
  ])('gives the same mask, bit for bit, with the one-sweep 3-tap path as with the two-pass blur (seed %i, %i×%i)', (seed, h, w) => {
    const [first, last] = movingBlobs(seed, h, w);
    const fused = foregroundMask(first, last, T18);
    expect(fused).toEqual(foregroundMaskTwoPass(first, last, T18));
    // Differences spread around the threshold, so that a reordered sum would flip some pixels.
    const rand = mulberry32(seed);
    const near = tensor(
      'float32',
      first.data.map((v) => v + (18 / 255) * (0.9 + 0.25 * rand())),
      first.shape,
    );
    const nearFused = foregroundMask(first, near, T18);
    expect(nearFused).toEqual(foregroundMaskTwoPass(first, near, T18));
    if (h * w > 100) expect(nearFused.some((v) => v === 1) && nearFused.some((v) => v === 0)).toBe(true);
  });

  it('uses a normalised kernel with sigma 0.8 for k = 3 and 1.1 for k = 5', () => {
    const k3 = gaussianKernel1d(3);
    expect(k3[0] / k3[1]).toBeCloseTo(Math.exp(-0.5 / 0.64), 12);
    const k5 = gaussianKernel1d(5);
    expect(k5[1] / k5[2]).toBeCloseTo(Math.exp(-0.5 / 1.21), 12);
    expect(k5.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 12);
  });
});

describe('clearDetectorBoxes', () => {
  it('clears the box grown by 2 px, coordinates truncated, ends inclusive', () => {
    const h = 12;
    const w = 12;
    const mask = new Uint8Array(h * w).fill(1);
    clearDetectorBoxes(mask, h, w, Float32Array.from([4.9, 5.99, 6.2, 6.7]));
    // x: trunc 4..6 grown to 2..8; y: trunc 5..6 grown to 3..8.
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect([y, x, mask[y * w + x]]).toEqual([y, x, x >= 2 && x <= 8 && y >= 3 && y <= 8 ? 0 : 1]);
  });

  it('clips boxes at and beyond the border, and ignores boxes fully outside', () => {
    const h = 6;
    const w = 8;
    const mask = new Uint8Array(h * w).fill(1);
    clearDetectorBoxes(mask, h, w, Float32Array.from([-5, -5, 0.5, 0.5, 7.9, 5.9, 40, 40, -20, 2, -10, 3]));
    const cleared = (y: number, x: number) => (x <= 2 && y <= 2) || (x >= 5 && y >= 3);
    for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) expect(mask[y * w + x]).toBe(cleared(y, x) ? 0 : 1);
  });
});

describe('componentBoxes', () => {
  it('joins diagonal neighbours (8-connectivity) and reports inclusive boxes', () => {
    const { mask, h, w } = maskFrom(['#....', '.#...', '..#.#', '...#.']);
    expect(boxesOf(componentBoxes(mask, h, w))).toEqual([[0, 0, 4, 3]]);
  });

  it('merges a U whose arms meet only at the bottom into one component', () => {
    const { mask, h, w } = maskFrom(['#...#', '#...#', '#####']);
    expect(boxesOf(componentBoxes(mask, h, w))).toEqual([[0, 0, 4, 2]]);
  });

  it('orders components by their first pixel in raster order, 1-pixel components included', () => {
    const { mask, h, w } = maskFrom(['.....#', '##....', '......', '...#..', '#.....']);
    expect(boxesOf(componentBoxes(mask, h, w))).toEqual([
      [5, 0, 5, 0],
      [0, 1, 1, 1],
      [3, 3, 3, 3],
      [0, 4, 0, 4],
    ]);
  });

  it('keeps a component whose leftmost pixel comes late in its own box', () => {
    // The first pixel (raster order) is at x = 3; the box still reaches x = 0 further down.
    const { mask, h, w } = maskFrom(['...#', '..#.', '.#..', '#...']);
    expect(boxesOf(componentBoxes(mask, h, w))).toEqual([[0, 0, 3, 3]]);
  });

  it.each([
    [1, 30, 41, 0.3],
    [2, 64, 64, 0.55],
    [3, 1, 50, 0.5],
    [4, 50, 1, 0.5],
    [5, 240, 360, 0.08],
  ])('matches a flood fill on random masks (seed %i, %i×%i, density %f)', (seed, h, w, density) => {
    const rand = mulberry32(seed);
    const fg = Array.from({ length: h }, () => Array.from({ length: w }, () => rand() < density));
    const mask = Uint8Array.from(fg.flat(), (v) => (v ? 1 + Math.floor(rand() * 255) : 0)); // any non-zero value is set
    const want = floodFillBoxes(fg);
    expect(boxesOf(componentBoxes(mask, h, w))).toEqual(want);
    expect(want.length).toBeGreaterThan(0);
  });

  it('returns no boxes for an empty mask, one for a full one', () => {
    expect(componentBoxes(new Uint8Array(12), 3, 4).length).toBe(0);
    expect(boxesOf(componentBoxes(new Uint8Array(12).fill(1), 3, 4))).toEqual([[0, 0, 3, 2]]);
  });
});
