import { VadError } from '../errors';
import { GREY } from '../regions/foreground';
import type { Boxes, Float32Tensor } from '../tensor';
import { boxPixelExtent } from './moving-velocity';

/**
 * Second velocity feature of the built-in stages (`velocityFrom: 'moving-pixels-p90+matched'`): each
 * region's speed in px/frame found by block matching its moving pixels between the two frames.
 *
 * Why: Farnebäck's polynomial expansion assumes motion small next to the object's structure. A
 * 10–14 px object moving 9–11 px/frame (a runner, a thrown object at this resolution) has no
 * overlap between its two positions, and the flow reads it at 0.4–1.8 px/frame, i.e. with the
 * walkers. Matching the pixels themselves has no such limit inside its search range.
 *
 * How (all choices fixed, not fitted: the density model learns what is normal):
 * - grey as torchvision's rgb_to_grayscale of the prepared frames;
 * - the pixels matched are the region's moving pixels (the frame-difference mask inside its box),
 *   the same ones the p90 flow feature reads;
 * - symmetric cost for a shift d: the mean over those pixels of min(|last(p) − first(p − d)|, τ) and
 *   min(|first(p) − last(p + d)|, τ), divided by τ (a moving pixel is on the object in one frame or
 *   the other, so both directions are scored). A pair outside the image costs τ (no evidence).
 *   The clip τ = 0.1 of the [0, 1] grey range makes the cost the fraction of pixels that do not
 *   match, robust to the background a mask pixel may cover;
 * - d = 0 is excluded: moving pixels by definition differ at d = 0, and a region whose best match is
 *   at rest would only be noise. No length penalty: the shortest shift wins ties;
 * - coarse to fine: shifts of ±COARSE_RADIUS px on 2×2-averaged images (±2·COARSE_RADIUS px at the
 *   working resolution; rest allowed there), then at full resolution the 3×3 shifts around twice the
 *   coarse best together with the shifts of ±NEAR_RADIUS px around rest. The coarse pass is 16 times
 *   cheaper than a full-resolution search of the same range. The near shifts are there because a
 *   slow object (≤ 1 px/frame) moves half a pixel at the coarse level, where its best shift may be
 *   anywhere; without them 3–9 % of the normal regions of bench:quality's sets got a "speed" of
 *   8–13 px/frame (below 1 % with them), which taught a fit that slow-flow, fast-match regions are
 *   normal — exactly what a small fast object looks like.
 *
 * Measured on bench:quality (README): with this column the frame AUROC of the real-footage sets
 * rose from 0.90–0.94 to 0.96–0.98.
 */
export const MATCHED_SPEED_TAU = 0.1;
export const MATCHED_SPEED_COARSE_RADIUS = 6;
export const MATCHED_SPEED_NEAR_RADIUS = 2;

/** Grey levels and the 2×2-averaged pyramid level of one prepared frame pair, computed once per pair. */
interface MatchFrames {
  readonly h: number;
  readonly w: number;
  readonly first: Float32Array;
  readonly last: Float32Array;
  readonly firstHalf: Float32Array;
  readonly lastHalf: Float32Array;
  readonly maskHalf: Uint8Array;
}

/** One value per box: its matched speed in px/frame at the frames' resolution (0 for a box with no moving pixel). */
export function matchedSpeeds(first: Float32Tensor, last: Float32Tensor, boxes: Boxes, mask: Uint8Array): Float32Array {
  const [channels, h, w] = first.shape;
  if (first.shape.length !== 3 || channels !== 3 || last.shape.join() !== first.shape.join()) {
    throw new VadError('bad_argument', `matchedSpeeds: frames must be two [3, H, W] images, got [${first.shape.join(', ')}] and [${last.shape.join(', ')}]`);
  }
  if (mask.length !== h! * w!) throw new VadError('bad_argument', `matchedSpeeds: the motion mask holds ${mask.length} pixels, the frames ${h}×${w}`);
  const m = boxes.shape[0]!;
  const out = new Float32Array(m);
  if (m === 0) return out;
  const frames = matchFrames(first.data, last.data, mask, h!, w!);
  for (let i = 0; i < m; i++) {
    const { x1, y1, x2, y2 } = boxPixelExtent(boxes, i, h!, w!);
    out[i] = matchBox(frames, mask, x1, y1, x2, y2);
  }
  return out;
}

function matchFrames(first: Float32Array, last: Float32Array, mask: Uint8Array, h: number, w: number): MatchFrames {
  const g1 = grey(first, h * w);
  const g2 = grey(last, h * w);
  const H = h >> 1;
  const W = w >> 1;
  const firstHalf = new Float32Array(H * W);
  const lastHalf = new Float32Array(H * W);
  const maskHalf = new Uint8Array(H * W);
  for (let y = 0; y < H; y++) {
    for (let x = 0; x < W; x++) {
      const p = 2 * y * w + 2 * x;
      const q = y * W + x;
      firstHalf[q] = (g1[p]! + g1[p + 1]! + g1[p + w]! + g1[p + w + 1]!) / 4;
      lastHalf[q] = (g2[p]! + g2[p + 1]! + g2[p + w]! + g2[p + w + 1]!) / 4;
      maskHalf[q] = mask[p]! | mask[p + 1]! | mask[p + w]! | mask[p + w + 1]!;
    }
  }
  return { h, w, first: g1, last: g2, firstHalf, lastHalf, maskHalf };
}

/** torchvision.transforms.functional.rgb_to_grayscale. */
function grey(rgb: Float32Array, plane: number): Float32Array {
  const [wr, wg, wb] = GREY;
  const g = new Float32Array(plane);
  for (let p = 0; p < plane; p++) g[p] = wr * rgb[p]! + wg * rgb[plane + p]! + wb * rgb[2 * plane + p]!;
  return g;
}

function matchBox(f: MatchFrames, mask: Uint8Array, x1: number, y1: number, x2: number, y2: number): number {
  const H = f.h >> 1;
  const W = f.w >> 1;
  const coarse = setPixels(f.maskHalf, W, x1 >> 1, y1 >> 1, Math.min(W - 1, x2 >> 1), Math.min(H - 1, y2 >> 1));
  const fine = setPixels(mask, f.w, x1, y1, x2, y2);
  if (coarse.xs.length === 0 || fine.xs.length === 0) return 0;
  const [bx, by] = bestShift(f.firstHalf, f.lastHalf, H, W, coarse, coarseShifts());
  const [dx, dy] = bestShift(f.first, f.last, f.h, f.w, fine, fineShifts(bx, by));
  return Math.hypot(dx, dy);
}

interface PixelList {
  readonly xs: Int32Array;
  readonly ys: Int32Array;
  /** The box the pixels lie in, to know when a shift keeps them all inside the image. */
  readonly x1: number;
  readonly y1: number;
  readonly x2: number;
  readonly y2: number;
}

function setPixels(mask: Uint8Array, w: number, x1: number, y1: number, x2: number, y2: number): PixelList {
  let n = 0;
  for (let y = y1; y <= y2; y++) for (let x = x1; x <= x2; x++) n += mask[y * w + x]! ? 1 : 0;
  const xs = new Int32Array(n);
  const ys = new Int32Array(n);
  let k = 0;
  for (let y = y1; y <= y2; y++) {
    for (let x = x1; x <= x2; x++) {
      if (!mask[y * w + x]) continue;
      xs[k] = x;
      ys[k++] = y;
    }
  }
  return { xs, ys, x1, y1, x2, y2 };
}

type Shift = readonly [number, number];

/** The coarse window, rest included: at half resolution a slow object's best shift is often (0, 0). */
function coarseShifts(): readonly Shift[] {
  COARSE_SHIFTS ??= byLength(window(0, 0, MATCHED_SPEED_COARSE_RADIUS));
  return COARSE_SHIFTS;
}
let COARSE_SHIFTS: readonly Shift[] | undefined;

/** Full-resolution candidates: around twice the coarse best, and the small shifts the coarse level cannot tell apart; never (0, 0). */
function fineShifts(bx: number, by: number): readonly Shift[] {
  const key = `${bx},${by}`;
  let shifts = FINE_SHIFTS.get(key);
  if (!shifts) {
    const seen = new Set<string>();
    shifts = byLength(
      [...window(2 * bx, 2 * by, 1), ...window(0, 0, MATCHED_SPEED_NEAR_RADIUS)].filter(([dx, dy]) => {
        const k = `${dx},${dy}`;
        if ((dx === 0 && dy === 0) || seen.has(k)) return false;
        seen.add(k);
        return true;
      }),
    );
    FINE_SHIFTS.set(key, shifts);
  }
  return shifts;
}
// At most (2·COARSE_RADIUS + 1)² keys.
const FINE_SHIFTS = new Map<string, readonly Shift[]>();

function window(cx: number, cy: number, r: number): Shift[] {
  const out: Shift[] = [];
  for (let dy = cy - r; dy <= cy + r; dy++) for (let dx = cx - r; dx <= cx + r; dx++) out.push([dx, dy]);
  return out;
}

/**
 * Shortest first (the sort is stable: then scan order), so that among shifts of equal cost the
 * shortest wins: a uniformly coloured object matches about as well at every shift between its
 * speed and its length along the motion (the aperture problem), and its speed is the shortest.
 */
function byLength(shifts: Shift[]): Shift[] {
  return shifts.sort((a, b) => a[0] * a[0] + a[1] * a[1] - (b[0] * b[0] + b[1] * b[1]));
}

/** The candidate of least symmetric cost (the earliest on ties). */
function bestShift(first: Float32Array, last: Float32Array, h: number, w: number, px: PixelList, shifts: readonly Shift[]): Shift {
  let best = Infinity;
  let found: Shift = [0, 0];
  for (const shift of shifts) {
    const c = shiftCost(first, last, h, w, px, shift[0], shift[1], best);
    if (c < best) {
      best = c;
      found = shift;
    }
  }
  return found;
}

/**
 * Σ over the pixels of the two clipped differences (the mean's numerator: the same n for every
 * shift, so comparing sums picks the same shift). Stops once the sum reaches `bound`, since the
 * caller keeps only a strictly smaller one.
 */
function shiftCost(first: Float32Array, last: Float32Array, h: number, w: number, px: PixelList, dx: number, dy: number, bound: number): number {
  const tau = MATCHED_SPEED_TAU;
  const { xs, ys } = px;
  const n = xs.length;
  const inside = px.x1 - Math.abs(dx) >= 0 && px.x2 + Math.abs(dx) < w && px.y1 - Math.abs(dy) >= 0 && px.y2 + Math.abs(dy) < h;
  const off = dy * w + dx;
  let c = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i]!;
    const y = ys[i]!;
    const p = y * w + x;
    if (inside) {
      const a = Math.abs(last[p]! - first[p - off]!);
      const b = Math.abs(first[p]! - last[p + off]!);
      c += (a < tau ? a : tau) + (b < tau ? b : tau);
    } else {
      const sx = x - dx;
      const sy = y - dy;
      const tx = x + dx;
      const ty = y + dy;
      if (sx < 0 || sx >= w || sy < 0 || sy >= h) c += tau;
      else {
        const a = Math.abs(last[p]! - first[p - off]!);
        c += a < tau ? a : tau;
      }
      if (tx < 0 || tx >= w || ty < 0 || ty >= h) c += tau;
      else {
        const b = Math.abs(first[p]! - last[p + off]!);
        c += b < tau ? b : tau;
      }
    }
    if (c >= bound) return c;
  }
  return c;
}
