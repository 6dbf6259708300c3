import { VadError } from '../errors';
import { motionRegions, DEFAULT_MOTION_REGION_PARAMS, velocityWidth } from '../regions/motion-regions';
import { type Float32Tensor, float32 } from '../tensor';
import { matchedSpeeds } from './matched-speed';

const H = 60;
const W = 90;

/** Deterministic texture in [0.3, 0.7] (a hash of the coordinates), so a shift is identifiable. */
function texture(x: number, y: number, seed: number): number {
  const v = Math.sin(x * 12.9898 + y * 78.233 + seed * 37.719) * 43758.5453;
  return 0.3 + 0.4 * (v - Math.floor(v));
}

/** A static textured background with a textured `size`-px square at (x0, y0), grey in all three channels. */
function frame(x0: number, y0: number, size: number): Float32Tensor {
  const data = new Float32Array(3 * H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const on = x >= x0 && x < x0 + size && y >= y0 && y < y0 + size;
      // The square is brighter than the background, so the frame difference sees it move.
      const g = on ? 0.5 + 0.5 * texture(x - x0, y - y0, 2) : 0.4 * texture(x, y, 1);
      for (let c = 0; c < 3; c++) data[c * H * W + y * W + x] = g;
    }
  return float32(data, [3, H, W]);
}

/** The built-in regions between two frames, and each region's matched speed. */
function speeds(first: Float32Tensor, last: Float32Tensor): number[] {
  const { regions, mask } = motionRegions(first, last, DEFAULT_MOTION_REGION_PARAMS);
  return Array.from(matchedSpeeds(first, last, float32(regions.boxes, [regions.count, 4]), mask));
}

describe('matched speed (block matching of the moving pixels)', () => {
  it.each([
    ['a small object moving 10 px/frame', 20, 25, 30, 25, 10],
    ['a diagonal move of (−6, 8)', 50, 20, 44, 28, 10],
    ['a slow object moving 1 px/frame', 40, 20, 41, 20, 1],
    ['a 2 px/frame move up', 40, 30, 40, 28, 2],
  ])('reads %s', (_, x0, y0, x1, y1, speed) => {
    const found = speeds(frame(x0, y0, 12), frame(x1, y1, 12));
    expect(found).toHaveLength(1);
    expect(found[0]).toBeCloseTo(speed, 5);
  });

  it('still measures an object half out of the image (the missing pairs only cost)', () => {
    const found = speeds(frame(-4, 20, 12), frame(4, 20, 12));
    expect(found).toHaveLength(1);
    expect(found[0]).toBeCloseTo(8, 5);
  });

  it('gives 0 for a box without a moving pixel and one value per box', () => {
    const first = frame(20, 20, 12);
    const last = frame(30, 20, 12);
    const { mask } = motionRegions(first, last, DEFAULT_MOTION_REGION_PARAMS);
    const boxes = float32([70, 45, 85, 55, 18, 18, 43, 33], [2, 4]);
    const out = matchedSpeeds(first, last, boxes, mask);
    expect(out[0]).toBe(0);
    expect(out[1]).toBeCloseTo(10, 5);
    expect(matchedSpeeds(first, last, float32([], [0, 4]), mask)).toHaveLength(0);
  });

  it('refuses frames and masks that do not agree', () => {
    const a = frame(0, 0, 4);
    const boxes = float32([0, 0, 3, 3], [1, 4]);
    expect(() => matchedSpeeds(a, a, boxes, new Uint8Array(10))).toThrow(VadError);
    expect(() => matchedSpeeds(a, float32(new Float32Array(3 * 4 * 4), [3, 4, 4]), boxes, new Uint8Array(H * W))).toThrow(/two \[3, H, W\]/);
  });

  it('adds one velocity column only for the variant that records it', () => {
    expect(velocityWidth(1, { velocityFrom: 'moving-pixels-p90+matched' })).toBe(2);
    expect(velocityWidth(8, { velocityFrom: 'moving-pixels-p90' })).toBe(8);
    expect(velocityWidth(8, undefined)).toBe(8);
  });
});
