import { VadError } from '../errors';
import { type Float32Tensor, float32, zeros } from '../tensor';
import { roiAlign } from './roi-align';
import { VELOCITY_ROI_SIZE, velocityBinEdges, velocityBinExact, velocityFeatures } from './velocity';

function uniformFlow(h: number, w: number, u: number, v: number): Float32Tensor {
  const data = new Float32Array(2 * h * w);
  data.fill(u, 0, h * w);
  data.fill(v, h * w);
  return float32(data, [2, h, w]);
}

/** A smooth flow with every direction present, deterministic. */
function swirlFlow(h: number, w: number): Float32Tensor {
  const data = new Float32Array(2 * h * w);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      data[y * w + x] = 3 * Math.sin(x / 7 + y / 11) + 0.5;
      data[h * w + y * w + x] = 2.5 * Math.cos(x / 9 - y / 5);
    }
  }
  return float32(data, [2, h, w]);
}

/** The slow, obvious way: materialise the RoIAlign crops, then one atan2 and bin per cell. */
function materialisedReference(flow: Float32Tensor, boxes: Float32Tensor, nBins: number): Float64Array {
  const n = VELOCITY_ROI_SIZE;
  const crops = roiAlign(flow, boxes, n, n);
  const edges = velocityBinEdges(nBins);
  const m = boxes.shape[0]!;
  const out = new Float64Array(m * nBins);
  for (let i = 0; i < m; i++) {
    const sum = new Float64Array(nBins);
    const count = new Float64Array(nBins);
    for (let c = 0; c < n * n; c++) {
      const u = crops.data[i * 2 * n * n + c]!;
      const v = crops.data[i * 2 * n * n + n * n + c]!;
      const k = velocityBinExact(u, v, edges);
      sum[k]! += Math.hypot(u, v);
      count[k]!++;
    }
    for (let k = 0; k < nBins; k++) out[i * nBins + k] = count[k]! > 0 ? sum[k]! / count[k]! : 0;
  }
  return out;
}

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof VadError ? e.code : 'not a VadError';
  }
  return undefined;
};

describe('velocityBinEdges', () => {
  it("are torch.histogram's float32 linspace edges over [−π, π]", () => {
    const e = velocityBinEdges(8);
    expect(e.length).toBe(9);
    expect(e[0]).toBe(-Math.fround(Math.PI));
    expect(e[8]).toBe(Math.fround(Math.PI));
    expect(e[4]).toBe(0);
    expect(e[6]).toBe(Math.fround(Math.PI / 2));
    // end − 3·step in float32 lands one ulp above fround(π/4): a cell with u = v falls in bin 4.
    expect(e[5]).toBeGreaterThan(Math.fround(Math.PI / 4));
    expect(Array.from(velocityBinEdges(1))).toEqual([-Math.fround(Math.PI), Math.fround(Math.PI)]);
  });
});

describe('velocityFeatures', () => {
  const box = float32([2, 3, 12, 9], [1, 4]);

  it('returns [0, B] for no boxes', () => {
    const out = velocityFeatures(uniformFlow(8, 8, 1, 0), zeros([0, 4]), 8);
    expect(out.shape).toEqual([0, 8]);
  });

  it.each([
    // [u, v, bin, speed]: θ = atan2(u, v), channel 0 first
    [0, 1, 4, 1], // θ = 0 opens bin 4
    [1, 0, 6, 1], // θ = π/2 is exactly edge 6
    [1, 1, 4, Math.SQRT2], // θ = fround(π/4) is one ulp below edge 5 (torch's float32 edges)
    [0, -2, 7, 2], // θ = π: the last bin is closed
    [-3, 0, 2, 3], // θ = −π/2 is exactly edge 2
    [-1, 1, 3, Math.SQRT2], // θ = −π/4 inside bin 3
  ])('puts a uniform flow (u=%d, v=%d) in bin %d with its speed', (u, v, bin, speed) => {
    const out = velocityFeatures(uniformFlow(16, 20, u, v), box, 8);
    expect(out.shape).toEqual([1, 8]);
    for (let k = 0; k < 8; k++) {
      if (k === bin) expect(out.data[k]).toBeCloseTo(speed, 5);
      else expect(out.data[k]).toBe(0);
    }
  });

  it('with one bin is the mean speed', () => {
    const out = velocityFeatures(uniformFlow(16, 20, 3, -4), box, 1);
    expect(out.shape).toEqual([1, 1]);
    expect(out.data[0]).toBeCloseTo(5, 5);
  });

  it('counts the empty cells of a box partly outside the image in the bin of θ = 0', () => {
    // x from −12 to 8 in 224 columns: samples left of x = −1 (the first 123 columns) are (0, 0).
    const outside = float32([-12, 2, 8, 6], [1, 4]);
    const inside = 224 - 123;
    const sideways = velocityFeatures(uniformFlow(10, 10, 2, 0), outside, 8); // θ = π/2: bin 6
    expect(sideways.data[6]).toBeCloseTo(2, 5);
    expect(sideways.data[4]).toBe(0); // the empty cells: m = 0, counted in bin 4
    const ahead = velocityFeatures(uniformFlow(10, 10, 0, 2), outside, 8); // θ = 0: bin 4 too
    expect(ahead.data[4]).toBeCloseTo((2 * inside) / 224, 5);
    const single = velocityFeatures(uniformFlow(10, 10, 2, 0), outside, 1);
    expect(single.data[0]).toBeCloseTo((2 * inside) / 224, 5);
  });

  it('gives zeros for a box entirely outside the image', () => {
    const out = velocityFeatures(uniformFlow(10, 10, 2, 1), float32([20, 20, 40, 40], [1, 4]), 4);
    expect(Array.from(out.data)).toEqual([0, 0, 0, 0]);
  });

  it('handles a tiny (zero-size) box as a 1-pixel RoI', () => {
    const out = velocityFeatures(uniformFlow(10, 10, 0, -1), float32([4, 4, 4, 4], [1, 4]), 2);
    expect(out.data[1]).toBeCloseTo(1, 5); // θ = π: last bin
    expect(out.data[0]).toBe(0);
  });

  it('leaves cells that read NaN flow out of both sums, like torch.histogram', () => {
    const flow = uniformFlow(10, 10, 1, 0);
    flow.data[5 * 10 + 5] = Number.NaN;
    const out = velocityFeatures(flow, float32([0, 0, 10, 10], [1, 4]), 8);
    expect(out.data[6]).toBeCloseTo(1, 5);
    expect(Array.from(out.data).every((x) => !Number.isNaN(x))).toBe(true);
  });

  it.each([2, 3, 5, 8, 16])('matches materialised crops + atan2 binning (B = %d)', (nBins) => {
    const flow = swirlFlow(60, 90);
    const boxes = float32(
      [
        [10.3, 5.2, 40.7, 50.9], // ordinary
        [-20, 30, 15, 80], // partly outside, past the bottom too
        [0, 0, 89, 59], // whole image
        [30, 20, 30.5, 20.2], // tiny
      ].flat(),
      [4, 4],
    );
    const got = velocityFeatures(flow, boxes, nBins);
    const want = materialisedReference(flow, boxes, nBins);
    expect(got.shape).toEqual([4, nBins]);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got.data[i]! - want[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i]!)));
  });

  it('matches the materialised crops when a box is wider than 224 px (several samples per bin)', () => {
    const flow = swirlFlow(240, 360);
    const boxes = float32([5, 10, 350, 235, 20, 0, 300, 200], [2, 4]);
    const got = velocityFeatures(flow, boxes, 8);
    const want = materialisedReference(flow, boxes, 8);
    for (let i = 0; i < want.length; i++) expect(Math.abs(got.data[i]! - want[i]!)).toBeLessThanOrEqual(1e-5 * (1 + Math.abs(want[i]!)));
  });

  it('rejects bad inputs with bad_argument', () => {
    expect(codeOf(() => velocityFeatures(zeros([3, 8, 8]), box, 8))).toBe('bad_argument');
    expect(codeOf(() => velocityFeatures(zeros([2, 8, 8]), zeros([1, 3]), 8))).toBe('bad_argument');
    expect(codeOf(() => velocityFeatures(zeros([2, 8, 8]), box, 0))).toBe('bad_argument');
    expect(codeOf(() => velocityFeatures(zeros([2, 8, 8]), box, 2.5))).toBe('bad_argument');
  });
});
