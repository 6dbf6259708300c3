import { VadError } from '../errors';
import { type Float32Tensor, tensor } from '../tensor';
import { foregroundDetections } from './foreground';
import { DEFAULT_MOTION_REGION_PARAMS, dilateSquare, motionRegions, parseMotionRegionParams } from './motion-regions';

const H = 40;
const W = 80;

/** A uniform grey background with one uniformly coloured bar [x, x + width) × [y1, y2). */
function barFrame(x: number, width: number, y1 = 10, y2 = 30): Float32Tensor {
  const data = new Float32Array(3 * H * W).fill(0.3);
  for (let c = 0; c < 3; c++) for (let y = y1; y < y2; y++) for (let xx = x; xx < x + width; xx++) data[(c * H + y) * W + xx] = 0.9;
  return tensor('float32', data, [3, H, W]);
}

function boxes(b: Float32Array): number[][] {
  return Array.from({ length: b.length / 4 }, (_, i) => Array.from(b.subarray(4 * i, 4 * i + 4)));
}

describe('built-in motion regions', () => {
  it('returns one whole object where anomalib foreground returns the leading and trailing slivers', () => {
    // An 11-px-wide runner moving 4 px: the difference is two 4-px slivers with a 7-px gap between.
    const first = barFrame(20, 11);
    const last = barFrame(24, 11);
    const slivers = foregroundDetections(first, last, new Float32Array(0), { kernelSize: 3, binaryThreshold: 18 });
    expect(slivers.count).toBe(2);
    const whole = motionRegions(first, last, DEFAULT_MOTION_REGION_PARAMS);
    expect(whole.regions.count).toBe(1);
    const [[x1, y1, x2, y2]] = boxes(whole.regions.boxes);
    // The box spans both slivers (the blur widens each by a pixel).
    expect(x1).toBeLessThanOrEqual(20);
    expect(x2).toBeGreaterThanOrEqual(34);
    expect(x2 - x1).toBeLessThan(20);
    expect(y1).toBeLessThanOrEqual(10);
    expect(y2).toBeGreaterThanOrEqual(29);
    expect(whole.motionPixels).toBeGreaterThan(0);
  });

  it('keeps objects further apart than twice the radius separate, and reports no motion on a still pair', () => {
    const a = barFrame(5, 6);
    const b = barFrame(7, 6);
    const far = tensor(
      'float32',
      a.data.map((v, i) => (i % W >= 60 && i % W < 66 && Math.floor(i / W) % H >= 10 && Math.floor(i / W) % H < 30 ? 0.9 : v)),
      [3, H, W],
    );
    const farMoved = tensor(
      'float32',
      b.data.map((v, i) => (i % W >= 62 && i % W < 68 && Math.floor(i / W) % H >= 10 && Math.floor(i / W) % H < 30 ? 0.9 : v)),
      [3, H, W],
    );
    expect(motionRegions(far, farMoved, DEFAULT_MOTION_REGION_PARAMS).regions.count).toBe(2);
    const still = motionRegions(a, a, DEFAULT_MOTION_REGION_PARAMS);
    expect(still).toMatchObject({ regions: { count: 0 }, motionPixels: 0 });
  });

  it('drops components smaller than minPixels as noise', () => {
    const a = barFrame(30, 2, 10, 12);
    const b = barFrame(31, 2, 10, 12);
    expect(motionRegions(a, b, { ...DEFAULT_MOTION_REGION_PARAMS, minPixels: 1000 })).toMatchObject({ regions: { count: 0 }, motionPixels: 0 });
    expect(motionRegions(a, b, { ...DEFAULT_MOTION_REGION_PARAMS, minPixels: 1 }).regions.count).toBe(1);
  });

  it('dilates by a square of the radius, clipped at the border', () => {
    const mask = new Uint8Array(5 * 5);
    mask[0] = 1;
    mask[2 * 5 + 4] = 1;
    const d = dilateSquare(mask, 5, 5, 1);
    const rows = Array.from({ length: 5 }, (_, y) => Array.from(d.subarray(y * 5, y * 5 + 5)).join(''));
    expect(rows).toEqual(['11000', '11011', '00011', '00011', '00000']);
  });

  it.each([
    [1, 40, 80, 4, 0.02],
    [2, 37, 53, 1, 0.05],
    [3, 24, 36, 3, 0.3],
    [4, 9, 6, 7, 0.1],
    [5, 240, 360, 4, 0.03],
    [6, 1, 13, 2, 0.2],
  ])('dilates exactly as the naive square max (seed %i, %i×%i, radius %i)', (seed, h, w, r, density) => {
    let state = seed;
    const rand = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 4294967296;
    const mask = Uint8Array.from({ length: h * w }, () => (rand() < density ? 1 + Math.floor(rand() * 255) : 0));
    const naive = new Uint8Array(h * w);
    for (let y = 0; y < h; y++)
      for (let x = 0; x < w; x++)
        for (let dy = -r; dy <= r; dy++)
          for (let dx = -r; dx <= r; dx++) {
            const yy = y + dy;
            const xx = x + dx;
            if (yy >= 0 && yy < h && xx >= 0 && xx < w && mask[yy * w + xx]) naive[y * w + x] = 1;
          }
    expect(dilateSquare(mask, h, w, r)).toEqual(naive);
    expect(naive.some((v) => v === 1)).toBe(true);
  });

  it('fills its defaults and refuses unknown or invalid params', () => {
    // A manifest written before velocityFrom existed was fitted on whole-box velocity: it keeps it.
    expect(parseMotionRegionParams({})).toEqual({ ...DEFAULT_MOTION_REGION_PARAMS, velocityFrom: 'box' });
    expect(parseMotionRegionParams(DEFAULT_MOTION_REGION_PARAMS)).toEqual(DEFAULT_MOTION_REGION_PARAMS);
    expect(DEFAULT_MOTION_REGION_PARAMS.velocityFrom).toBe('moving-pixels-p90+matched');
    expect(parseMotionRegionParams({ velocityFrom: 'moving-pixels-p90' }).velocityFrom).toBe('moving-pixels-p90');
    expect(() => parseMotionRegionParams({ velocityFrom: 'moving-pixels-mean' })).toThrow(/velocityFrom/);
    expect(() => parseMotionRegionParams({ kernelSize: 4 })).toThrow(VadError);
    expect(() => parseMotionRegionParams({ radius: 3 })).toThrow(/radius/);
  });
});
