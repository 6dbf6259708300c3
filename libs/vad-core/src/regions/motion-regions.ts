import { z } from 'zod';
import { VadError } from '../errors';
import type { Float32Tensor } from '../tensor';
import { componentBoxes, foregroundMask } from './foreground';
import { REGION_SOURCE, type Regions, emptyRegions } from './regions';

/**
 * The built-in region proposals (`stages.regions: {kind: 'builtin', name: BUILTIN_REGIONS_NAME}`):
 * whole moving objects for models fitted without a detector network.
 *
 * Why not anomalib's foreground boxes: a frame difference of a uniformly coloured mover is only its
 * leading and trailing edges, so one runner comes back as two slivers (and limbs as more), and the
 * velocity of a sliver says little about the object. Here the same difference mask (anomalib's
 * blur + grey + threshold, so the two agree pixel for pixel) is closed by a square of radius
 * `closeRadius` before the components are taken: fragments up to 2·closeRadius px apart become one
 * region. Each region's box is its dilated component shrunk back by the radius, i.e. the box of the
 * fragments it joined. Components with fewer than `minPixels` difference pixels are sensor noise.
 *
 * A bank fitted with these regions is valid only with them and these exact params, so the manifest
 * records both and the loader refuses any other name.
 */
export const BUILTIN_REGIONS_NAME = 'motion-components-v1';

export const MotionRegionParamsSchema = z.strictObject({
  kernelSize: z
    .number()
    .int()
    .min(1)
    .max(15)
    .refine((k) => k % 2 === 1, 'an odd kernel size')
    .default(3),
  binaryThreshold: z.number().min(0).max(255).default(18),
  closeRadius: z.number().int().min(0).max(32).default(4),
  minPixels: z.number().int().min(1).max(10_000).default(6),
  /**
   * What the velocity attribute averages the flow over: `box`, anomalib's whole box (what models
   * fitted before this param existed were fitted with, hence the schema default), or
   * `moving-pixels-p90`, a high percentile over the difference-mask pixels inside the box
   * (movingVelocityFeatures), or `moving-pixels-p90+matched`, those bins followed by one more
   * column, the region's block-matched speed (matchedSpeeds), which new fits record. A bank is
   * valid only with the one it was fitted with.
   */
  velocityFrom: z.enum(['box', 'moving-pixels-p90', 'moving-pixels-p90+matched']).default('box'),
});
export type MotionRegionParams = z.infer<typeof MotionRegionParamsSchema>;

/** What new fits use (and record): the schema's defaults, velocity from the moving pixels plus the matched speed. */
export const DEFAULT_MOTION_REGION_PARAMS: MotionRegionParams = Object.freeze({
  ...MotionRegionParamsSchema.parse({}),
  velocityFrom: 'moving-pixels-p90+matched' as const,
});

/** Columns of the velocity attribute: the direction bins, and the matched speed when the params ask for it. */
export function velocityWidth(nBins: number, params: Pick<MotionRegionParams, 'velocityFrom'> | undefined): number {
  return nBins + (params?.velocityFrom === 'moving-pixels-p90+matched' ? 1 : 0);
}

export function parseMotionRegionParams(params: unknown): MotionRegionParams {
  const r = MotionRegionParamsSchema.safeParse(params ?? {});
  if (!r.success)
    throw new VadError(
      'model_invalid',
      `built-in regions "${BUILTIN_REGIONS_NAME}": ${r.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`,
    );
  return { ...r.data };
}

export interface MotionRegions {
  readonly regions: Regions;
  /** Difference pixels inside the proposed regions (noise components excluded): 0 means nothing moved. */
  readonly motionPixels: number;
  /** The frame-difference mask [H·W] the regions were made of (1 = moved). */
  readonly mask: Uint8Array;
}

/**
 * Square dilation by `r` (any non-zero pixel is set), separably: along the rows each run of set
 * pixels is filled out by r on both sides, then each output row is the OR of the 2r + 1 rows
 * around it, four pixels per 32-bit word when the rows are word-aligned. O(H·W·r / 4) word ORs,
 * and the sparse motion mask makes the row pass mostly a scan.
 */
export function dilateSquare(mask: Uint8Array, h: number, w: number, r: number): Uint8Array {
  if (r === 0) return mask;
  const rows = new Uint8Array(h * w);
  for (let y = 0; y < h; y++) {
    const o = y * w;
    let x = 0;
    while (x < w) {
      if (mask[o + x] === 0) {
        x++;
        continue;
      }
      const start = x;
      while (x < w && mask[o + x] !== 0) x++;
      rows.fill(1, o + Math.max(0, start - r), o + Math.min(w, x + r));
    }
  }
  const out = new Uint8Array(h * w);
  if (w % 4 === 0) orOfRows(new Uint32Array(rows.buffer), new Uint32Array(out.buffer), h, w / 4, r);
  else orOfRows(rows, out, h, w, r);
  return out;
}

/**
 * dst row y = OR of src rows [y − r, y + r] ∩ [0, h), rows of `stride` elements, scattered from the
 * source side: each non-zero element is ORed into the 2r + 1 rows it reaches, so the (mostly empty)
 * motion mask costs about one read per element.
 */
function orOfRows(src: Uint8Array | Uint32Array, dst: Uint8Array | Uint32Array, h: number, stride: number, r: number): void {
  for (let y = 0; y < h; y++) {
    const o = y * stride;
    const lo = Math.max(0, y - r) * stride;
    const hi = Math.min(h - 1, y + r) * stride;
    for (let x = 0; x < stride; x++) {
      const v = src[o + x]!;
      if (v === 0) continue;
      for (let d = lo + x; d <= hi + x; d += stride) dst[d] |= v;
    }
  }
}

/** Whole moving objects between `first` and `last` (see BUILTIN_REGIONS_NAME). */
export function motionRegions(first: Float32Tensor, last: Float32Tensor, params: MotionRegionParams): MotionRegions {
  const [, h, w] = first.shape;
  const mask = foregroundMask(first, last, { kernelSize: params.kernelSize, binaryThreshold: params.binaryThreshold });
  let motionPixels = 0;
  const r = params.closeRadius;
  const dilated = componentBoxes(dilateSquare(mask, h, w, r), h, w);
  const boxes: number[] = [];
  for (let i = 0; i < dilated.length; i += 4) {
    // Shrink back to the fragments' extent: the true extent, since every fragment pixel was dilated
    // by exactly r (the clip at the image border only ever shrinks too much, never too little).
    let x1 = dilated[i] + r;
    let y1 = dilated[i + 1] + r;
    let x2 = dilated[i + 2] - r;
    let y2 = dilated[i + 3] - r;
    if (dilated[i] === 0) x1 = tightEdge(mask, w, h, dilated, i, 'x1');
    if (dilated[i + 1] === 0) y1 = tightEdge(mask, w, h, dilated, i, 'y1');
    if (dilated[i + 2] === w - 1) x2 = tightEdge(mask, w, h, dilated, i, 'x2');
    if (dilated[i + 3] === h - 1) y2 = tightEdge(mask, w, h, dilated, i, 'y2');
    if (x2 < x1 || y2 < y1) continue;
    const pixels = countPixels(mask, w, x1, y1, x2, y2);
    if (pixels < params.minPixels) continue;
    motionPixels += pixels;
    boxes.push(x1, y1, x2, y2);
  }
  const count = boxes.length / 4;
  if (count === 0) return { regions: emptyRegions(), motionPixels, mask };
  return {
    regions: {
      count,
      boxes: Float32Array.from(boxes),
      labels: new Int32Array(count), // label 0 and confidence 0.5, as anomalib's foreground regions
      scores: new Float32Array(count).fill(0.5),
      source: new Uint8Array(count).fill(REGION_SOURCE.foreground),
    },
    motionPixels,
    mask,
  };
}

/** At an image border the dilation was clipped: find the outermost fragment pixel inside the box. */
function tightEdge(mask: Uint8Array, w: number, h: number, b: Float32Array, i: number, edge: 'x1' | 'y1' | 'x2' | 'y2'): number {
  const [bx1, by1, bx2, by2] = [b[i], b[i + 1], Math.min(b[i + 2], w - 1), Math.min(b[i + 3], h - 1)];
  const colHas = (x: number) => {
    for (let y = by1; y <= by2; y++) if (mask[y * w + x]) return true;
    return false;
  };
  const rowHas = (y: number) => {
    for (let x = bx1; x <= bx2; x++) if (mask[y * w + x]) return true;
    return false;
  };
  if (edge === 'x1') for (let x = bx1; x <= bx2; x++) if (colHas(x)) return x;
  if (edge === 'x2') for (let x = bx2; x >= bx1; x--) if (colHas(x)) return x;
  if (edge === 'y1') for (let y = by1; y <= by2; y++) if (rowHas(y)) return y;
  if (edge === 'y2') for (let y = by2; y >= by1; y--) if (rowHas(y)) return y;
  return -1;
}

function countPixels(mask: Uint8Array, w: number, x1: number, y1: number, x2: number, y2: number): number {
  let n = 0;
  for (let y = y1; y <= y2; y++) for (let x = x1; x <= x2; x++) n += mask[y * w + x];
  return n;
}
