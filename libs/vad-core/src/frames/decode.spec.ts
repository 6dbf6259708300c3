import { crc32 } from 'node:zlib';
import sharp from 'sharp';
import { VadError } from '../errors';
import { decodeImage, sniffImageFormat } from './decode';

// A 6x4 RGB pattern with distinct values per pixel and channel.
const W = 6;
const H = 4;
const rgb = Buffer.from(Array.from({ length: W * H * 3 }, (_, i) => (i * 37) % 256));
const raw = { raw: { width: W, height: H, channels: 3 as const } };

async function expectBadImage(p: Promise<unknown>, pattern: RegExp): Promise<VadError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(VadError);
  expect((e as VadError).code).toBe('bad_image');
  expect((e as VadError).message).toMatch(pattern);
  return e as VadError;
}

describe('decodeImage', () => {
  it('decodes a lossless PNG to the exact RGB pixels, HWC', async () => {
    const png = await sharp(rgb, raw).png().toBuffer();
    const img = await decodeImage(png);
    expect([img.width, img.height, img.format]).toEqual([W, H, 'png']);
    expect(Buffer.from(img.data)).toEqual(rgb);
  });

  it('decodes lossless WebP exactly and JPEG approximately', async () => {
    const webp = await decodeImage(await sharp(rgb, raw).webp({ lossless: true }).toBuffer());
    expect(webp.format).toBe('webp');
    expect(Buffer.from(webp.data)).toEqual(rgb);
    const flat = Buffer.alloc(16 * 16 * 3, 0);
    for (let i = 0; i < flat.length; i += 3) flat.set([200, 40, 90], i);
    const jpeg = await decodeImage(
      await sharp(flat, { raw: { width: 16, height: 16, channels: 3 } })
        .jpeg({ quality: 95 })
        .toBuffer(),
    );
    expect([jpeg.width, jpeg.height, jpeg.format]).toEqual([16, 16, 'jpeg']);
    expect(Math.abs(jpeg.data[0] - 200) + Math.abs(jpeg.data[1] - 40) + Math.abs(jpeg.data[2] - 90)).toBeLessThan(12);
  });

  it('drops alpha without compositing (as cv2.imread IMREAD_COLOR)', async () => {
    const rgba = Buffer.alloc(W * H * 4);
    for (let p = 0; p < W * H; p++) rgba.set([rgb[3 * p], rgb[3 * p + 1], rgb[3 * p + 2], p % 2 ? 0 : 128], 4 * p);
    const img = await decodeImage(
      await sharp(rgba, { raw: { width: W, height: H, channels: 4 } })
        .png()
        .toBuffer(),
    );
    expect(Buffer.from(img.data)).toEqual(rgb);
  });

  it('expands grey to three equal channels', async () => {
    const grey = Buffer.from(Array.from({ length: W * H }, (_, i) => i * 10));
    const img = await decodeImage(
      await sharp(grey, { raw: { width: W, height: H, channels: 1 } })
        .png()
        .toBuffer(),
    );
    expect(img.data.length).toBe(W * H * 3);
    for (let p = 0; p < W * H; p++) expect([img.data[3 * p], img.data[3 * p + 1], img.data[3 * p + 2]]).toEqual([p * 10, p * 10, p * 10]);
  });

  it('reduces 16-bit PNG to 8 bits', async () => {
    // rgb16 stores each 8-bit value v as v * 257; back to 8 bits it must be v again.
    const png16 = await sharp(rgb, raw).toColourspace('rgb16').png().toBuffer();
    expect((await sharp(png16).metadata()).depth).toBe('ushort');
    const img = await decodeImage(png16);
    expect(Buffer.from(img.data)).toEqual(rgb);
  });

  it('converts CMYK JPEG to RGB', async () => {
    const white = Buffer.alloc(8 * 8 * 3, 255);
    const cmyk = await sharp(white, { raw: { width: 8, height: 8, channels: 3 } })
      .toColourspace('cmyk')
      .jpeg()
      .toBuffer();
    expect((await sharp(cmyk).metadata()).space).toBe('cmyk');
    const img = await decodeImage(cmyk);
    expect(img.data.length).toBe(8 * 8 * 3);
    expect(Math.min(...img.data)).toBeGreaterThan(240);
  });

  it('applies EXIF orientation: width and height refer to the upright image', async () => {
    // Orientation 6 = rotate 90° clockwise to display: a 6x4 stored image shows as 4x6.
    const jpeg = await sharp(rgb, raw).jpeg().withMetadata({ orientation: 6 }).toBuffer();
    const img = await decodeImage(jpeg);
    expect([img.width, img.height]).toEqual([H, W]);
  });

  it('refuses empty input', async () => {
    await expectBadImage(decodeImage(new Uint8Array(0)), /empty/);
  });

  it.each([
    ['GIF', () => sharp(rgb, raw).gif().toBuffer()],
    ['TIFF', () => sharp(rgb, raw).tiff().toBuffer()],
    ['SVG', async () => Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" width="4" height="4"/>')],
  ])('refuses %s with a message naming the accepted formats', async (name, make) => {
    const e = await expectBadImage(decodeImage(await make()), /JPEG, PNG and WebP/);
    expect(e.message).toContain(name);
  });

  it('refuses bytes that are no image', async () => {
    await expectBadImage(decodeImage(Buffer.from('hello, this is not an image')), /not a recognisable image/);
  });

  it.each(['jpeg', 'png', 'webp'] as const)('refuses a truncated %s', async (format) => {
    // A noisy image so the compressed stream is long enough to cut in the middle.
    const noise = Buffer.from(Array.from({ length: 64 * 64 * 3 }, (_, i) => (i * 7919) % 251));
    const full = await sharp(noise, { raw: { width: 64, height: 64, channels: 3 } })
      .toFormat(format)
      .toBuffer();
    await expectBadImage(decodeImage(full.subarray(0, Math.floor(full.length / 2))), /truncated or corrupt/);
  });

  it('refuses a PNG whose pixel data is corrupt', async () => {
    const png = Buffer.from(await sharp(rgb, raw).png().toBuffer());
    const idat = png.indexOf('IDAT');
    for (let i = idat + 4; i < idat + 20; i++) png[i] ^= 0x5a;
    await expectBadImage(decodeImage(png), /truncated or corrupt/);
  });

  it('refuses a decompression bomb from its header, before decoding', async () => {
    // A real 1x1 PNG whose header is patched to declare 10000x10000: decoding it would fail
    // differently (its data is short), so the size message proves the header check came first.
    const bomb = Buffer.from(
      await sharp(rgb.subarray(0, 3), { raw: { width: 1, height: 1, channels: 3 } })
        .png()
        .toBuffer(),
    );
    const ihdr = bomb.indexOf('IHDR');
    bomb.writeUInt32BE(10_000, ihdr + 4);
    bomb.writeUInt32BE(10_000, ihdr + 8);
    bomb.writeUInt32BE(crc32(bomb.subarray(ihdr, ihdr + 17)), ihdr + 17);
    const e = await expectBadImage(decodeImage(bomb), /10000x10000.*over the limit of 40000000 pixels/);
    expect(e.details).toMatchObject({ width: 10_000, height: 10_000, maxPixels: 40_000_000 });
    await expectBadImage(decodeImage(await sharp(rgb, raw).png().toBuffer(), { maxPixels: W * H - 1 }), /over the limit of 23 pixels/);
    await expect(decodeImage(await sharp(rgb, raw).png().toBuffer(), { maxPixels: W * H })).resolves.toMatchObject({ width: W });
  });
});

describe('sniffImageFormat', () => {
  it('tells formats apart by signature', () => {
    expect(sniffImageFormat(Buffer.from([0xff, 0xd8, 0xff, 0xe0]))).toBe('jpeg');
    expect(sniffImageFormat(Buffer.from('\x89PNG\r\n\x1a\n....', 'latin1'))).toBe('png');
    expect(sniffImageFormat(Buffer.from('RIFF\x00\x00\x00\x00WEBPVP8 ', 'latin1'))).toBe('webp');
    expect(sniffImageFormat(Buffer.from('RIFF\x00\x00\x00\x00WAVEfmt ', 'latin1'))).toEqual({ unsupported: 'unknown' });
    expect(sniffImageFormat(Buffer.from('  <?xml version="1.0"?><svg/>'))).toEqual({ unsupported: 'SVG' });
  });
});
