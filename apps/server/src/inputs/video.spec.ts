import sharp from 'sharp';
import { makeVideo } from '../testing/video';
import { decodeVideo, PngStreamSplitter } from './video';

describe('PngStreamSplitter', () => {
  it('splits concatenated PNGs across arbitrary chunk boundaries', async () => {
    const pngs = await Promise.all([1, 2, 3].map((v) => sharp({ create: { width: 5 + v, height: 4, channels: 3, background: { r: v, g: 0, b: 0 } } }).png().toBuffer()));
    const all = Buffer.concat(pngs);
    const s = new PngStreamSplitter();
    for (let i = 0; i < all.length; i += 7) s.push(all.subarray(i, i + 7));
    expect(s.frames.map((f) => f.equals(pngs[s.frames.indexOf(f)]!))).toEqual([true, true, true]);
    expect(s.leftover).toBe(0);
  });
});

describe('decodeVideo (ffmpeg)', () => {
  const opts = { ffmpegPath: 'ffmpeg', maxFrames: 64, maxPixels: 40e6, deadline: Date.now() + 60_000 };

  it('decodes mp4, webm and avi into PNG frames; fps=<n> resamples', async () => {
    for (const ext of ['mp4', 'webm', 'avi'] as const) {
      const frames = await decodeVideo(makeVideo(5, ext), { ...opts, deadline: Date.now() + 60_000 });
      expect(frames).toHaveLength(5);
      expect((await sharp(frames[0]!).metadata()).width).toBe(64);
    }
    const slow = await decodeVideo(makeVideo(10), { ...opts, fps: 5, deadline: Date.now() + 60_000 });
    expect(slow.length).toBeGreaterThanOrEqual(4);
    expect(slow.length).toBeLessThanOrEqual(6);
  });

  it('refuses more than VAD_MAX_FRAMES, garbage, and a missing decoder with their codes', async () => {
    await expect(decodeVideo(makeVideo(12), { ...opts, maxFrames: 8 })).rejects.toMatchObject({ code: 'too_many_frames' });
    await expect(decodeVideo(Buffer.from('not a video at all'), opts)).rejects.toMatchObject({ code: 'bad_video' });
    await expect(decodeVideo(Buffer.from('x'), { ...opts, ffmpegPath: '/nonexistent/ffmpeg' })).rejects.toMatchObject({
      code: 'video_decoder_missing',
      message: expect.stringContaining('ffmpeg'),
    });
  });
});
