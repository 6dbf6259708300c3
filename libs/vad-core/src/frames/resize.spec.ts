import { VadError } from '../errors';
import { tensor } from '../tensor';
import { resizeBilinearChw, resizeImage, resizeLinearU8, resizeRgbToChwFloat, toChwFloat } from './resize';

describe('resizeLinearU8', () => {
  it('returns a copy at the same size', () => {
    const src = Uint8Array.from({ length: 4 * 5 * 3 }, (_, i) => i);
    const out = resizeLinearU8(src, 4, 5, 3, 4, 5);
    expect(out).toEqual(src);
    expect(out).not.toBe(src);
  });

  it('keeps a constant image constant, up and down, including 255 (no overflow)', () => {
    for (const v of [0, 7, 128, 255]) {
      const src = new Uint8Array(9 * 13 * 3).fill(v);
      for (const [dh, dw] of [
        [240, 360],
        [4, 5],
        [9, 26],
        [3, 13],
      ]) {
        expect(resizeLinearU8(src, 9, 13, 3, dh, dw).every((x) => x === v)).toBe(true);
      }
    }
  });

  it('averages 2x2 blocks, rounding half up, on an exact 2x downscale (OpenCV INTER_AREA shortcut)', () => {
    // One channel, 2x4 -> 1x2: blocks {0, 1, 2, 3} (mean 1.5 -> 2) and {10, 11, 12, 14} (11.75 -> 12).
    const src = Uint8Array.from([0, 1, 10, 11, 2, 3, 12, 14]);
    expect(Array.from(resizeLinearU8(src, 2, 4, 1, 1, 2))).toEqual([2, 12]);
  });

  it('interpolates halfway between two pixels on a 2x upscale of a ramp', () => {
    // 1x2 -> 1x4 with pixel centres: positions -0.25, 0.25, 0.75, 1.25 -> 0, 25%, 75%, 100% of the way.
    const out = resizeLinearU8(Uint8Array.from([0, 200]), 1, 2, 1, 1, 4);
    expect(Array.from(out)).toEqual([0, 50, 150, 200]);
  });

  it('keeps channels apart', () => {
    const src = new Uint8Array(6 * 6 * 3);
    for (let i = 0; i < src.length; i += 3) src.set([10, 100, 250], i);
    const out = resizeLinearU8(src, 6, 6, 3, 5, 7);
    for (let i = 0; i < out.length; i += 3) expect([out[i], out[i + 1], out[i + 2]]).toEqual([10, 100, 250]);
  });

  it('refuses impossible sizes with a bad_argument error', () => {
    expect(() => resizeLinearU8(new Uint8Array(12), 2, 2, 3, 0, 5)).toThrow(VadError);
    expect(() => resizeLinearU8(new Uint8Array(11), 2, 2, 3, 4, 4)).toThrow(/11 bytes do not hold a 2x2x3 image/);
  });
});

describe('resizeImage / toChwFloat', () => {
  it('resizes an [H, W, C] tensor and lays it out as [C, H, W] / 255', () => {
    const img = tensor('uint8', Uint8Array.from([0, 51, 255, 102, 153, 204]), [1, 2, 3]);
    const chw = toChwFloat(resizeImage(img, [1, 2]));
    expect(chw.shape).toEqual([3, 1, 2]);
    expect(Array.from(chw.data)).toEqual([0, 0.4, 0.2, 0.6, 1, 0.8].map(Math.fround));
  });

  it('fuses resize and layout without changing a value (resizeRgbToChwFloat)', () => {
    for (const [h, w, dh, dw] of [
      [31, 45, 24, 36],
      [24, 36, 24, 36],
      [48, 72, 24, 36],
      [7, 5, 24, 36],
    ]) {
      const rgb = Uint8Array.from({ length: h * w * 3 }, (_, i) => (i * 7919 + (i >> 5)) % 256);
      const fused = resizeRgbToChwFloat(rgb, h, w, dh, dw);
      const twoStep = toChwFloat(resizeImage(tensor('uint8', rgb, [h, w, 3]), [dh, dw]));
      expect(fused.shape).toEqual([3, dh, dw]);
      expect(fused.data).toEqual(twoStep.data);
    }
  });

  it('divides (correctly rounded float32 v / 255), the way ToTensor does', () => {
    const img = tensor(
      'uint8',
      Uint8Array.from({ length: 255 * 3 }, (_, i) => i % 256),
      [1, 255, 3],
    );
    const chw = toChwFloat(img);
    for (let x = 0; x < 255; x++) expect(chw.data[x]).toBe(Math.fround(((3 * x) % 256) / 255));
  });

  it('refuses a tensor that is not uint8 [H, W, C]', () => {
    expect(() => toChwFloat(tensor('uint8', new Uint8Array(6), [6]))).toThrow(/uint8 \[H, W, C\]/);
  });
});

describe('resizeBilinearChw (torch bilinear, align_corners=False)', () => {
  it('upsamples a 1x2 ramp with half-pixel centres and edge clamping', () => {
    const out = resizeBilinearChw(tensor('float32', Float32Array.from([0, 1]), [1, 1, 2]), [1, 4]);
    expect(Array.from(out.data)).toEqual([0, 0.25, 0.75, 1]);
  });

  it('downsamples by 2 to the mean of each pair (source positions 0.5, 2.5)', () => {
    const out = resizeBilinearChw(tensor('float32', Float32Array.from([1, 3, 5, 9]), [1, 1, 4]), [1, 2]);
    expect(Array.from(out.data)).toEqual([2, 7]);
  });

  it('does not rescale values (flow vectors keep their units) and keeps channels apart', () => {
    const data = new Float32Array(2 * 3 * 4);
    data.fill(-7.5, 0, 12);
    data.fill(42, 12);
    const out = resizeBilinearChw(tensor('float32', data, [2, 3, 4]), [5, 9]);
    expect(out.shape).toEqual([2, 5, 9]);
    expect(out.data.subarray(0, 45).every((v) => v === -7.5)).toBe(true);
    expect(out.data.subarray(45).every((v) => v === 42)).toBe(true);
  });

  it('refuses a map that is not [C, H, W]', () => {
    expect(() => resizeBilinearChw(tensor('float32', new Float32Array(4), [2, 2]), [4, 4])).toThrow(/expected \[C, H, W\]/);
  });
});
