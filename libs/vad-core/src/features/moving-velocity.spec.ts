import { VadError } from '../errors';
import { type Float32Tensor, float32 } from '../tensor';
import { movingVelocityFeatures } from './moving-velocity';
import { velocityFeatures } from './velocity';

const H = 30;
const W = 40;

/** Flow (3, −4) (magnitude 5) on the pixels of `mover`, zero elsewhere. */
function flowOn(mover: (x: number, y: number) => boolean): Float32Tensor {
  const data = new Float32Array(2 * H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++)
      if (mover(x, y)) {
        data[y * W + x] = 3;
        data[H * W + y * W + x] = -4;
      }
  return float32(data, [2, H, W]);
}

describe('velocity over the moving pixels (built-in stages)', () => {
  const inSquare = (x: number, y: number) => x >= 10 && x < 14 && y >= 10 && y < 14;
  const mask = Uint8Array.from({ length: H * W }, (_, p) => (inSquare(p % W, Math.floor(p / W)) ? 1 : 0));

  it("reads the mover's speed whatever the box around it, where the box mean is diluted by the background", () => {
    const flow = flowOn(inSquare);
    const tight = float32(new Float32Array([10, 10, 13, 13]), [1, 4]);
    const loose = float32(new Float32Array([2, 2, 29, 25]), [1, 4]);
    expect(movingVelocityFeatures(flow, tight, mask, 1).data[0]).toBeCloseTo(5, 5);
    expect(movingVelocityFeatures(flow, loose, mask, 1).data[0]).toBeCloseTo(5, 5);
    // anomalib's whole-box mean reads the loose box as ~30× slower.
    expect(velocityFeatures(flow, loose, 1).data[0]).toBeLessThan(0.5);
  });

  it('takes the 90th percentile of the moving pixels: the leading edge, not its mean with the still-looking trailing edge', () => {
    // Left half of the mover at speed 5, right half at 1 (as a trailing edge reads).
    const data = flowOn(inSquare).data;
    for (let y = 10; y < 14; y++)
      for (let x = 12; x < 14; x++) {
        data[y * W + x] = 0.6;
        data[H * W + y * W + x] = -0.8;
      }
    const f = movingVelocityFeatures(float32(data, [2, H, W]), float32(new Float32Array([10, 10, 13, 13]), [1, 4]), mask, 1);
    expect(f.data[0]).toBeCloseTo(5, 5);
    const halfSlow = movingVelocityFeatures(float32(data, [2, H, W]), float32(new Float32Array([12, 10, 13, 13]), [1, 4]), mask, 1);
    expect(halfSlow.data[0]).toBeCloseTo(1, 5);
  });

  it('bins by direction as anomalib does (θ = atan2(u, v)), empty bins 0', () => {
    const flow = flowOn(inSquare);
    const f = movingVelocityFeatures(flow, float32(new Float32Array([0, 0, 39, 29]), [1, 4]), mask, 4);
    // atan2(3, −4) ≈ 2.50 rad: the last of 4 bins over (−π, π).
    expect(Array.from(f.data).map((v) => Math.round(v * 1e4) / 1e4)).toEqual([0, 0, 0, 5]);
  });

  it('falls back to the whole box when no pixel in it moved', () => {
    const flow = flowOn(() => true);
    const away = float32(new Float32Array([20, 20, 30, 25]), [1, 4]);
    expect(movingVelocityFeatures(flow, away, mask, 1).data[0]).toBeCloseTo(5, 5);
  });

  it('refuses a mask of another size', () => {
    expect(() => movingVelocityFeatures(flowOn(inSquare), float32(new Float32Array([0, 0, 1, 1]), [1, 4]), new Uint8Array(5), 1)).toThrow(VadError);
  });
});
