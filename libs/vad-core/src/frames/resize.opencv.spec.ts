import { resizeLinearU8 } from './resize';

// The reference: cv.resize(INTER_LINEAR) of OpenCV's own WASM build, which the spec names as the
// ground truth for the uint8 frame resize. Our port must agree bit for bit, not within ±1.
interface Cv {
  Mat: new () => { data: Uint8Array; delete(): void };
  Size: new (w: number, h: number) => unknown;
  CV_8UC3: number;
  INTER_LINEAR: number;
  matFromArray(rows: number, cols: number, type: number, data: ArrayLike<number>): { delete(): void };
  resize(src: unknown, dst: unknown, size: unknown, fx: number, fy: number, interpolation: number): void;
}

// The Emscripten module is a thenable: wrap it, and poll for readiness instead of awaiting it.
function loadCv(): Promise<{ cv: Cv }> {
  const cv = require('@techstark/opencv-js') as Cv;
  return new Promise((resolve) => {
    const poll = (): void => (typeof cv.Mat === 'function' ? resolve({ cv }) : void setTimeout(poll, 5));
    poll();
  });
}

function cvResize(cv: Cv, src: Uint8Array, h: number, w: number, dh: number, dw: number): Uint8Array {
  const m = cv.matFromArray(h, w, cv.CV_8UC3, src);
  const d = new cv.Mat();
  try {
    cv.resize(m, d, new cv.Size(dw, dh), 0, 0, cv.INTER_LINEAR);
    return new Uint8Array(d.data);
  } finally {
    m.delete();
    d.delete();
  }
}

function mulberry32(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Noise plus smooth gradients: noise hits every rounding case, gradients the realistic ones. */
function randomImage(rand: () => number, h: number, w: number): Uint8Array {
  const img = new Uint8Array(h * w * 3);
  const smooth = rand() < 0.5;
  for (let y = 0; y < h; y++)
    for (let x = 0; x < w; x++)
      for (let c = 0; c < 3; c++) {
        const v = smooth ? 128 + 100 * Math.sin((x + 3 * c) / 7 + y / 11) + 20 * rand() : 256 * rand();
        img[(y * w + x) * 3 + c] = Math.max(0, Math.min(255, Math.floor(v)));
      }
  return img;
}

describe('resizeLinearU8 against OpenCV (opencv.js cv.resize INTER_LINEAR)', () => {
  let cv: Cv;
  beforeAll(async () => {
    ({ cv } = await loadCv());
  });

  it.each([
    [480, 640, 240, 360], // VGA down to the UCSD Ped2 working size
    [576, 720, 240, 360],
    [158, 238, 240, 360], // upscale, odd source
    [241, 361, 240, 360], // almost identity, both ways
    [239, 359, 240, 360],
    [480, 720, 240, 360], // exact 2x: OpenCV's INTER_AREA shortcut
    [37, 53, 240, 360],
    [13, 7, 5, 3],
    [5, 3, 17, 11],
    [1, 1, 4, 4],
    [1, 9, 3, 4],
    [7, 11, 6, 1],
  ])('%ix%i -> %ix%i is bit-identical', (h, w, dh, dw) => {
    const rand = mulberry32(h * 1000 + w);
    for (let trial = 0; trial < 2; trial++) {
      const src = randomImage(rand, h, w);
      const ours = resizeLinearU8(src, h, w, 3, dh, dw);
      const ref = cvResize(cv, src, h, w, dh, dw);
      let mismatches = 0;
      for (let i = 0; i < ref.length; i++) if (ours[i] !== ref[i]) mismatches++;
      expect({ mismatches, length: ours.length }).toEqual({ mismatches: 0, length: ref.length });
    }
  });

  it('is bit-identical on 60 random small sizes (every tail and edge case)', () => {
    const rand = mulberry32(42);
    const failures: string[] = [];
    for (let n = 0; n < 60; n++) {
      const [h, w, dh, dw] = [1, 1, 1, 1].map(() => 1 + Math.floor(rand() * 24));
      const src = randomImage(rand, h, w);
      const ours = resizeLinearU8(src, h, w, 3, dh, dw);
      const ref = cvResize(cv, src, h, w, dh, dw);
      if (!ours.every((v, i) => v === ref[i])) failures.push(`${h}x${w}->${dh}x${dw}`);
    }
    expect(failures).toEqual([]);
  });
});
