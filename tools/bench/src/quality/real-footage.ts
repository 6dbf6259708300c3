import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import type { LabelledVideo, QualitySet } from './quality-set';

/**
 * Real footage for bench:quality: Debian's opencv-doc ships OpenCV's sample `vtest.avi` (an indoor
 * hall, people walking, 768×576 at 10 frames/s, 795 frames). No one here made it, nothing is tuned
 * to it. Two protocols split it differently and make anomalies differently, so a setting that only
 * suits one split shows up as a gap between them:
 *   A: normal train = frames 0–479 (4 videos), test = 480–794, anomalies = 4× sped-up segments and
 *      an injected fast disc;
 *   B: normal train = frames 320–794 (4 videos), test = 0–319, anomalies = 3× sped-up segments and
 *      an injected fast box of another size and colour.
 * A test frame is anomalous when it was reached by a sped-up step or shows an injected mover.
 */
export const VTEST = '/usr/share/doc/opencv-doc/examples/data/vtest.avi';
const WIDTH = 360;
const HEIGHT = 240;

/** Every frame of `file`, decoded by ffmpeg and resized to 360×240 RGB (what the models work at). */
export function decodeVideo(file: string): Uint8Array[] {
  const raw = execFileSync(
    'ffmpeg',
    ['-v', 'error', '-i', file, '-vf', `scale=${WIDTH}:${HEIGHT}:flags=bilinear`, '-f', 'rawvideo', '-pix_fmt', 'rgb24', '-'],
    { maxBuffer: 1 << 30 },
  );
  const size = WIDTH * HEIGHT * 3;
  const frames: Uint8Array[] = [];
  for (let o = 0; o + size <= raw.length; o += size) frames.push(new Uint8Array(raw.buffer, raw.byteOffset + o, size));
  return frames;
}

export function realFootageMissing(): string | undefined {
  if (!existsSync(VTEST)) return `${VTEST} is missing (apt-get install opencv-doc)`;
  try {
    execFileSync('ffmpeg', ['-version'], { stdio: 'ignore' });
  } catch {
    return 'ffmpeg is missing (apt-get install ffmpeg)';
  }
  return undefined;
}

interface Protocol {
  name: string;
  train: [number, number];
  test: [number, number];
  speedUp: number;
  mover: { size: number; speed: number; rgb: [number, number, number]; round: boolean };
}

const PROTOCOLS: Protocol[] = [
  { name: 'vtest (real, protocol A)', train: [0, 480], test: [480, 795], speedUp: 4, mover: { size: 14, speed: 11, rgb: [230, 40, 40], round: true } },
  { name: 'vtest (real, protocol B)', train: [320, 795], test: [0, 320], speedUp: 3, mover: { size: 10, speed: 9, rgb: [40, 60, 200], round: false } },
];

function videosOf(frames: Uint8Array[], [a, b]: [number, number], parts: number, prefix: string): LabelledVideo[] {
  const len = Math.floor((b - a) / parts);
  return Array.from({ length: parts }, (_, p) => ({
    id: `${prefix}-${p}`,
    width: WIDTH,
    height: HEIGHT,
    frames: frames.slice(a + p * len, a + (p + 1) * len),
    labels: new Uint8Array(len),
  }));
}

/** Paints a mover onto a copy of `rgb` at (cx, cy). */
function paint(rgb: Uint8Array, cx: number, cy: number, m: Protocol['mover']): Uint8Array {
  const out = Uint8Array.from(rgb);
  const r = m.size / 2;
  for (let y = Math.max(0, Math.floor(cy - r)); y < Math.min(HEIGHT, Math.ceil(cy + r)); y++)
    for (let x = Math.max(0, Math.floor(cx - r)); x < Math.min(WIDTH, Math.ceil(cx + r)); x++) {
      if (m.round && (x + 0.5 - cx) ** 2 + (y + 0.5 - cy) ** 2 > r * r) continue;
      out.set(m.rgb, 3 * (y * WIDTH + x));
    }
  return out;
}

/**
 * The test stream: normal stretches played at 1×, then alternately a sped-up stretch (every
 * `speedUp`-th frame) or a normal stretch with an injected mover crossing the hall.
 */
function testVideo(frames: Uint8Array[], p: Protocol): LabelledVideo {
  const out: Uint8Array[] = [];
  const labels: number[] = [];
  // A frame is labelled by how it was reached: a jump of speedUp source frames is the anomaly, so
  // the first normal frame after a sped-up stretch is anomalous too (it is reached by a jump).
  let prev = p.test[0] - 1;
  const push = (i: number, rgb: Uint8Array, mover: boolean) => {
    out.push(rgb);
    labels.push(mover || i - prev > 1 ? 1 : 0);
    prev = i;
  };
  let i = p.test[0];
  let k = 0;
  while (i < p.test[1]) {
    for (let n = 0; n < 25 && i < p.test[1]; n++, i++) push(i, frames[i], false);
    if (k++ % 2 === 0) {
      i += p.speedUp - 1;
      for (let n = 0; n < 10 && i < p.test[1]; n++, i += p.speedUp) push(i, frames[i], false);
      i -= p.speedUp - 1; // the stretch ends one step of 1 after its last frame, no extra jump
    } else {
      const y = 60 + ((k * 37) % 120);
      for (let n = 0, x = -p.mover.size; n < 14 && i < p.test[1] && x < WIDTH + p.mover.size; n++, i++, x += p.mover.speed) {
        push(i, paint(frames[i], x, y, p.mover), x > 0 && x < WIDTH);
      }
    }
  }
  return { id: `${p.name}-test`, width: WIDTH, height: HEIGHT, frames: out, labels: Uint8Array.from(labels) };
}

export function realFootageSets(): QualitySet[] {
  const frames = decodeVideo(VTEST);
  return PROTOCOLS.map((p) => ({ name: p.name, train: videosOf(frames, p.train, 4, 'vtest'), test: [testVideo(frames, p)] }));
}
