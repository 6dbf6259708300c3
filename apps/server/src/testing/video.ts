import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
