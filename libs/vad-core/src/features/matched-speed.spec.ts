import { type Float32Tensor, float32 } from '../tensor';
import { matchedSpeeds } from './matched-speed';

const H = 48;
const W = 64;

/** A textured grey floor with a plain square of side `size` at (x0, y0). */
function frame(x0: number, y0: number, size: number): Float32Tensor {
  const data = new Float32Array(3 * H * W);
  for (let y = 0; y < H; y++)
    for (let x = 0; x < W; x++) {
      const inside = x >= x0 && x < x0 + size && y >= y0 && y < y0 + size;
      const v = inside ? 0.9 : 0.4 + 0.05 * Math.sin(x * 0.7) * Math.cos(y * 0.5);
      for (let c = 0; c < 3; c++) data[c * H * W + y * W + x] = v;
    }
  return float32(data, [3, H, W]);
}

/** The pixels that changed between the two frames, and their box. */
function diff(a: Float32Tensor, b: Float32Tensor): { mask: Uint8Array; box: Float32Tensor } {
  const mask = new Uint8Array(H * W);
  let [x1, y1, x2, y2] = [W, H, -1, -1];
  for (let p = 0; p < H * W; p++)
    if (Math.abs(a.data[p]! - b.data[p]!) > 0.07) {
      mask[p] = 1;
      const x = p % W;
      const y = Math.floor(p / W);
      [x1, y1, x2, y2] = [Math.min(x1, x), Math.min(y1, y), Math.max(x2, x), Math.max(y2, y)];
    }
  return { mask, box: float32(new Float32Array([x1, y1, x2, y2]), [1, 4]) };
}

describe('matched speed (region displacement by matching its moving pixels)', () => {
  it.each([
    [1, 0],
    [9, 0],
    [6, 8],
  ])('reads a plain 10 px square moved by (%d, %d) at its true speed, fast ones included', (dx, dy) => {
    const a = frame(20, 15, 10);
    const b = frame(20 + dx, 15 + dy, 10);
    const { mask, box } = diff(a, b);
    expect(matchedSpeeds(a, b, box, mask)[0]).toBeCloseTo(Math.hypot(dx, dy), 0);
  });

  it('reads 0 for a box without moving pixels and is limited by the search radius', () => {
    const a = frame(20, 15, 10);
    const b = frame(29, 15, 10);
    const { mask, box } = diff(a, b);
    const empty = float32(new Float32Array([0, 0, 5, 5]), [1, 4]);
    expect(matchedSpeeds(a, b, empty, mask)[0]).toBe(0);
    expect(matchedSpeeds(a, b, box, mask, { radius: 4 })[0]).toBeLessThanOrEqual(Math.hypot(4, 4) + 1e-6);
  });
});
