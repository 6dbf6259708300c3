import { VadError } from '../errors';
import type { Boxes, Float32Tensor } from '../tensor';

/**
 * Matched speed of a region (experimental, not yet wired into a velocityFrom variant): the length
 * of the displacement that best maps the region's moving pixels between the clip's two frames, found
 * by exhaustive search over integer shifts within ±radius px and refined to sub-pixel by a parabola
 * through the cost's neighbours.
 *
 * Why: Farnebäck at the built-in flow's resolution under-reads small, plain-coloured fast movers
 * (a 10 px box at 9 px/frame reads ~0.4 px/frame: it is smaller than the flow's coarse grid and
 * moves further than its window). Matching searches the whole range directly.
 *
 * Cost of a shift d over the difference-mask pixels p inside the box, symmetric so that both the
 * object's new position (last(p) vs first(p − d)) and its old one (first(p) vs last(p + d)) vote:
 * mean of min(|Δgrey|, tau)/tau over both pairs, a pair falling outside the image costing tau; plus
 * lambda·|d|, a prior for slow motion that settles ties of plain-coloured objects (whose shifts
 * from the true one up to their own size match about as well) towards the true, shortest shift.
 * d = 0 is excluded: every mask pixel changed by construction. Grey as torchvision's
 * rgb_to_grayscale, on frames in [0, 1].
 */
export interface MatchedSpeedOptions {
  radius?: number;
  tau?: number;
  lambda?: number;
}

export const MATCHED_SPEED_DEFAULTS: Required<MatchedSpeedOptions> = Object.freeze({ radius: 12, tau: 0.1, lambda: 0.015 });

export function greyPlane(img: Float32Tensor): Float32Array {
  const [c, h, w] = img.shape;
  if (img.shape.length !== 3 || c !== 3) throw new VadError('bad_argument', `greyPlane: expected [3, H, W], got [${img.shape.join(', ')}]`);
  const n = h! * w!;
  const g = new Float32Array(n);
  const d = img.data;
  for (let p = 0; p < n; p++) g[p] = 0.2989 * d[p]! + 0.587 * d[n + p]! + 0.114 * d[2 * n + p]!;
  return g;
}

export function matchedSpeeds(first: Float32Tensor, last: Float32Tensor, boxes: Boxes, mask: Uint8Array, options: MatchedSpeedOptions = {}): Float32Array {
  const { radius: R, tau, lambda } = { ...MATCHED_SPEED_DEFAULTS, ...options };
  if (!Number.isInteger(R) || R < 1) throw new VadError('bad_argument', `matchedSpeeds: radius must be a positive integer, got ${R}`);
  const [, h, w] = first.shape as [number, number, number];
  if (mask.length !== h * w) throw new VadError('bad_argument', `matchedSpeeds: the motion mask holds ${mask.length} pixels, the frames ${h}×${w}`);
  const gf = greyPlane(first);
  const gl = greyPlane(last);
  const m = boxes.shape[0]!;
  const out = new Float32Array(m);
  const S = 2 * R + 1;
  const cost = new Float64Array(S * S);
  for (let i = 0; i < m; i++) {
    const x1 = Math.max(0, Math.floor(boxes.data[4 * i]!));
    const y1 = Math.max(0, Math.floor(boxes.data[4 * i + 1]!));
    const x2 = Math.min(w - 1, Math.ceil(boxes.data[4 * i + 2]!));
    const y2 = Math.min(h - 1, Math.ceil(boxes.data[4 * i + 3]!));
    const xs: number[] = [];
    const ys: number[] = [];
    for (let y = y1; y <= y2; y++) for (let x = x1; x <= x2; x++) if (mask[y * w + x]) (xs.push(x), ys.push(y));
    const n = xs.length;
    if (n === 0) continue;
    let best = Infinity;
    let bi = -1;
    for (let dy = -R; dy <= R; dy++)
      for (let dx = -R; dx <= R; dx++) {
        let c = 0;
        for (let k = 0; k < n; k++) {
          const x = xs[k]!;
          const y = ys[k]!;
          const p = y * w + x;
          const sx = x - dx;
          const sy = y - dy;
          if (sx < 0 || sx >= w || sy < 0 || sy >= h) c += tau;
          else c += Math.min(Math.abs(gl[p]! - gf[sy * w + sx]!), tau);
          const tx = x + dx;
          const ty = y + dy;
          if (tx < 0 || tx >= w || ty < 0 || ty >= h) c += tau;
          else c += Math.min(Math.abs(gf[p]! - gl[ty * w + tx]!), tau);
        }
        const j = (dy + R) * S + dx + R;
        cost[j] = c / (2 * n * tau);
        if (dx === 0 && dy === 0) continue;
        const v = cost[j]! + lambda * Math.hypot(dx, dy);
        if (v < best) {
          best = v;
          bi = j;
        }
      }
    const dx = (bi % S) - R;
    const dy = Math.floor(bi / S) - R;
    const fx = dx > -R && dx < R ? vertex(cost[bi - 1]!, cost[bi]!, cost[bi + 1]!) : 0;
    const fy = dy > -R && dy < R ? vertex(cost[bi - S]!, cost[bi]!, cost[bi + S]!) : 0;
    out[i] = Math.hypot(dx + fx, dy + fy);
  }
  return out;
}

/** Offset in [−0.5, 0.5] of the minimum of the parabola through (−1, a), (0, b), (1, c). */
function vertex(a: number, b: number, c: number): number {
  const den = a - 2 * b + c;
  return den > 1e-12 ? Math.max(-0.5, Math.min(0.5, (a - c) / (2 * den))) : 0;
}
