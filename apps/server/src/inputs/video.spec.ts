import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { decodeVideo, PngStreamSplitter } from './video';

const hasFfmpeg = spawnSync('ffmpeg', ['-version']).status === 0;
// CI must install ffmpeg (apt-get install -y ffmpeg); without it these tests fail loudly rather than skip.
const requireFfmpeg = (): void => {
  if (!hasFfmpeg) throw new Error('ffmpeg is not on PATH: install it (apt-get install -y ffmpeg) to run the video tests');
};

export function makeVideo(frames: number, ext: 'mp4' | 'webm' | 'avi' = 'mp4'): Buffer {
  requireFfmpeg();
  const dir = mkdtempSync(join(tmpdir(), 'vad-test-video-'));
  try {
    const out = join(dir, `v.${ext}`);
    const codec = ext === 'webm' ? ['-c:v', 'libvpx', '-b:v', '200k'] : ext === 'avi' ? ['-c:v', 'mjpeg'] : ['-c:v', 'libx264', '-pix_fmt', 'yuv420p'];
    execFileSync('ffmpeg', ['-nostdin', '-loglevel', 'error', '-f', 'lavfi', '-i', `testsrc=size=64x48:rate=10`, '-frames:v', String(frames), ...codec, out]);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

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
