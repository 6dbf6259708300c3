import sharp from 'sharp';
import { VadError } from '../errors';
import type { PreparedFrame } from '../pipeline-types';
import { zeros } from '../tensor';
import { assertSameSize, prepareFrame, prepareFrameFromRgb } from './clip';
import { resizeLinearU8 } from './resize';

describe('prepareFrameFromRgb', () => {
  it('resizes with OpenCV INTER_LINEAR and returns [3, H, W] float32 / 255 plus the original size', () => {
    const w = 7;
    const h = 5;
    const rgb = Uint8Array.from({ length: w * h * 3 }, (_, i) => (i * 53) % 256);
    const f = prepareFrameFromRgb(rgb, w, h, [4, 6]);
    expect(f.image.shape).toEqual([3, 4, 6]);
    expect(f.originalSize).toEqual([5, 7]);
    const resized = resizeLinearU8(rgb, h, w, 3, 4, 6);
    // Pixel (y=2, x=3), green channel: HWC index (2*6+3)*3+1, CHW index 1*24 + 2*6+3.
    expect(f.image.data[24 + 15]).toBe(Math.fround(resized[(2 * 6 + 3) * 3 + 1] / 255));
  });

  it('refuses pixel buffers that do not match the stated size', () => {
    expect(() => prepareFrameFromRgb(new Uint8Array(10), 2, 2, [4, 4])).toThrow(/10 bytes are not a 2x2 RGB image/);
    expect(() => prepareFrameFromRgb(new Uint8Array(12), 2, 2, [0, 4])).toThrow(VadError);
  });
});

describe('prepareFrame', () => {
  it('decodes, resizes and normalises encoded bytes', async () => {
    const png = await sharp({ create: { width: 20, height: 10, channels: 3, background: { r: 255, g: 0, b: 51 } } })
      .png()
      .toBuffer();
    const f = await prepareFrame(png, [6, 8]);
    expect(f.image.shape).toEqual([3, 6, 8]);
    expect(f.originalSize).toEqual([10, 20]);
    expect([f.image.data[0], f.image.data[48], f.image.data[96]]).toEqual([1, 0, Math.fround(0.2)]);
  });

  it('passes maxPixels to the decoder', async () => {
    const png = await sharp({ create: { width: 20, height: 10, channels: 3, background: '#fff' } })
      .png()
      .toBuffer();
    await expect(prepareFrame(png, [6, 8], { maxPixels: 199 })).rejects.toMatchObject({ code: 'bad_image' });
  });
});

describe('assertSameSize', () => {
  const frame = (h: number, w: number): PreparedFrame => ({ image: zeros([3, 2, 2]), originalSize: [h, w] });

  it('accepts frames of one original size (and empty or single-frame lists)', () => {
    expect(() => assertSameSize([frame(480, 640), frame(480, 640), frame(480, 640)])).not.toThrow();
    expect(() => assertSameSize([])).not.toThrow();
    expect(() => assertSameSize([frame(1, 1)])).not.toThrow();
  });

  it('refuses a frame of another size, naming both sizes', () => {
    let err: unknown;
    try {
      assertSameSize([frame(480, 640), frame(480, 640), frame(240, 360)]);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(VadError);
    expect((err as VadError).code).toBe('frame_size_mismatch');
    expect((err as VadError).message).toMatch(/frame 2 is 360x240 but frame 0 is 640x480/);
  });
});
