import { VadError } from '../errors';
import { type Float32Tensor, float32, zeros } from '../tensor';
import { axisTaps, roiAlign } from './roi-align';

/** [C, H, W] image with value f(c, y, x). */
function image(c: number, h: number, w: number, f: (c: number, y: number, x: number) => number): Float32Tensor {
  const data = new Float32Array(c * h * w);
  for (let k = 0; k < c; k++) for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) data[(k * h + y) * w + x] = f(k, y, x);
  return float32(data, [c, h, w]);
}

const at = (t: Float32Tensor, i: number[]): number => {
  let o = 0;
  for (let d = 0; d < i.length; d++) o = o * t.shape[d]! + i[d]!;
  return t.data[o]!;
};

describe('roiAlign', () => {
  it('returns [0, C, s, s] for no boxes', () => {
    const out = roiAlign(zeros([3, 8, 8]), zeros([0, 4]), 7, 7);
    expect(out.shape).toEqual([0, 3, 7, 7]);
    expect(out.data.length).toBe(0);
  });

  it('reproduces a linear ramp exactly: each cell is the ramp at its bin centre', () => {
    // Bilinear interpolation is exact on a linear function and the adaptive samples of a bin are
    // symmetric about its centre, so the mean is the ramp at the centre.
    const img = image(2, 30, 40, (c, y, x) => (c === 0 ? x : 2 * y + 1));
    const box = [3.3, 4.1, 27.9, 21.7];
    const out = roiAlign(img, float32(box, [1, 4]), 5, 6);
    const bw = (box[2]! - box[0]!) / 6;
    const bh = (box[3]! - box[1]!) / 5;
    for (let ph = 0; ph < 5; ph++) {
      for (let pw = 0; pw < 6; pw++) {
        expect(at(out, [0, 0, ph, pw])).toBeCloseTo(box[0]! + (pw + 0.5) * bw, 4);
        expect(at(out, [0, 1, ph, pw])).toBeCloseTo(2 * (box[1]! + (ph + 0.5) * bh) + 1, 4);
      }
    }
  });

  it('treats a zero-size box as 1 pixel (aligned=false)', () => {
    const img = image(1, 10, 10, (_c, _y, x) => x);
    const out = roiAlign(img, float32([3, 2, 3, 2], [1, 4]), 1, 2);
    // bins of 0.5 px, one sample each at x = 3.25 and 3.75
    expect(Array.from(out.data)).toEqual([3.25, 3.75]);
  });

  it('gives 0 for a box entirely outside the image', () => {
    const img = image(1, 10, 10, () => 5);
    const out = roiAlign(img, float32([20, 20, 30, 30, -15, -15, -5, -5], [2, 4]), 3, 3);
    expect(Array.from(out.data).every((v) => v === 0)).toBe(true);
  });

  it('zeroes samples beyond one pixel outside the image and clamps those within it', () => {
    const img = image(1, 4, 4, () => 1);
    // x from -3 to 1 in 4 bins: samples at -2.5, -1.5 (dropped), -0.5, 0.5 (clamped / inside)
    const out = roiAlign(img, float32([-3, 0, 1, 4], [1, 4]), 1, 4);
    expect(Array.from(out.data)).toEqual([0, 0, 1, 1]);
    // y beyond the bottom: sample at y = 4.5 > H is dropped, y = 3.5 reads the last row
    const low = roiAlign(img, float32([0, 3, 4, 5], [1, 4]), 2, 1);
    expect(Array.from(low.data)).toEqual([1, 0]);
  });

  it('averages ceil(roi/out) samples per bin and axis', () => {
    expect(axisTaps(0, 20, 100, 7).grid).toBe(3);
    expect(axisTaps(0, 14, 100, 7).grid).toBe(2);
    expect(axisTaps(0, 3, 100, 224).grid).toBe(1);
    expect(axisTaps(0, 20, 100, 7, { samplingRatio: 2 }).grid).toBe(2);
    // A quadratic is not reproduced by the bin centre; the mean of the bin's 3 samples
    // (at k + 0.5: the mean of the two neighbouring pixels) is.
    const img = image(1, 1, 30, (_c, _y, x) => x * x);
    const out = roiAlign(img, float32([0, 0, 21, 1], [1, 4]), 1, 7);
    for (const pw of [0, 3, 6]) {
      const xs = [0, 1, 2].map((i) => 3 * pw + i + 0.5);
      const want = xs.reduce((s, x) => s + (Math.floor(x) ** 2 + Math.ceil(x) ** 2) / 2, 0) / 3;
      expect(out.data[pw]).toBeCloseTo(want, 4);
    }
  });

  it('applies spatial_scale and aligned like torchvision', () => {
    const img = image(1, 10, 10, (_c, _y, x) => x);
    const scaled = roiAlign(img, float32([4, 0, 8, 2], [1, 4]), 1, 1, { spatialScale: 0.5 });
    expect(scaled.data[0]).toBeCloseTo(3, 5);
    const aligned = roiAlign(img, float32([2, 0, 4, 2], [1, 4]), 1, 1, { aligned: true });
    expect(aligned.data[0]).toBeCloseTo(2.5, 5);
  });

  it('rejects malformed inputs with bad_argument', () => {
    const bad = (f: () => unknown) => {
      expect(f).toThrow(VadError);
      try {
        f();
      } catch (e) {
        expect((e as VadError).code).toBe('bad_argument');
      }
    };
    bad(() => roiAlign(zeros([8, 8]), zeros([1, 4]), 7, 7));
    bad(() => roiAlign(zeros([1, 8, 8]), zeros([1, 5]), 7, 7));
    bad(() => roiAlign(zeros([1, 8, 8]), zeros([1, 4]), 0, 7));
  });
});
