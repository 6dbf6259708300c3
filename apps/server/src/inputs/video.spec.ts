import sharp from 'sharp';
import { makeVideo } from '../testing/video';
import { decodeVideo, parseProbe, PngStreamSplitter, refuseFromProbe } from './video';

describe('PngStreamSplitter', () => {
  it('splits concatenated PNGs across arbitrary chunk boundaries', async () => {
    const pngs = await Promise.all(
      [1, 2, 3].map((v) =>
        sharp({ create: { width: 5 + v, height: 4, channels: 3, background: { r: v, g: 0, b: 0 } } })
          .png()
          .toBuffer(),
      ),
    );
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

describe('probing the container header before decoding', () => {
  // What ffmpeg 5/6 prints for `ffmpeg -i` of an H.264 MP4 (trimmed).
  const header = [
    "Input #0, mov,mp4,m4a,3gp,3g2,mj2, from 'input':",
    '  Duration: 00:00:12.50, start: 0.000000, bitrate: 1205 kb/s',
    '  Stream #0:0[0x1](und): Video: h264 (High) (avc1 / 0x31637661), yuv420p(progressive), 3840x2160 [SAR 1:1 DAR 16:9], 1201 kb/s, 25 fps, 25 tbr, 12800 tbn (default)',
    'At least one output file must be specified',
  ].join('\n');

  it('reads size, duration and rate', () => {
    expect(parseProbe(header)).toEqual({ width: 3840, height: 2160, durationS: 12.5, fps: 25 });
  });

  it('refuses frames over VAD_MAX_PIXELS and more frames than VAD_MAX_FRAMES, and passes the rest', () => {
    const p = parseProbe(header);
    expect(() => refuseFromProbe(p, { maxPixels: 8_000_000, maxFrames: 1000 })).toThrow(expect.objectContaining({ code: 'bad_video' }));
    expect(() => refuseFromProbe(p, { maxPixels: 40e6, maxFrames: 64 })).toThrow(expect.objectContaining({ code: 'too_many_frames' }));
    // fps=<n> resamples: 12.5 s at 2 fps is 25 frames.
    expect(() => refuseFromProbe(p, { maxPixels: 40e6, maxFrames: 64, fps: 2 })).not.toThrow();
    // A header without a rate or a duration refuses nothing it cannot know.
    expect(() => refuseFromProbe({ width: 64, height: 48 }, { maxPixels: 40e6, maxFrames: 1 })).not.toThrow();
  });

  it('a real video over the pixel limit is refused with the size its header declares', async () => {
    await expect(
      decodeVideo(makeVideo(2), { ffmpegPath: 'ffmpeg', maxFrames: 64, maxPixels: 64 * 48 - 1, deadline: Date.now() + 60_000 }),
    ).rejects.toMatchObject({ code: 'bad_video', details: { width: 64, height: 48 } });
  });
});
