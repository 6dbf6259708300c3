import { VadError } from '../errors';
import { type Boxes, type Float32Tensor, tensor } from '../tensor';
import { velocityBinEdges, velocityBinExact } from './velocity';

/**
 * Velocity attribute of the built-in stages (`velocityFrom: 'moving-pixels'` in the built-in
 * regions' params): per direction bin, the mean flow magnitude over the region's *moving* pixels —
 * the frame-difference mask inside the box — instead of anomalib's mean over the whole box.
 *
 * Why: a region's box holds the mover and the static background around and inside it (a walker's
 * box is mostly floor). anomalib's box mean divides the mover's speed by the box's fill, so a small
 * fast object in a loose box reads as slow and the same object's feature jumps with the box's shape
 * from frame to frame. The moving pixels are the ones the box was made of, so their mean measures
 * the object, not the box. A box with no moving pixel (cannot come from the built-in regions, whose
 * boxes are the extent of mask fragments) falls back to all its pixels.
 *
 * Direction bins as anomalib's (θ = atan2(u, v), torch.histogram's float32 edges); every pixel is one
 * sample, no RoIAlign resampling (the boxes are integer pixel extents at the flow's resolution).
 */
export function movingVelocityFeatures(flow: Float32Tensor, boxes: Boxes, mask: Uint8Array, nBins: number): Float32Tensor {
  const [channels, height, width] = flow.shape;
  if (flow.shape.length !== 3 || channels !== 2) {
    throw new VadError('bad_argument', `movingVelocityFeatures: flow must be [2, H, W], got [${flow.shape.join(', ')}]`);
  }
  if (mask.length !== height! * width!) {
    throw new VadError('bad_argument', `movingVelocityFeatures: the motion mask holds ${mask.length} pixels, the flow ${height}×${width}`);
  }
  if (!Number.isInteger(nBins) || nBins < 1) {
    throw new VadError('bad_argument', `movingVelocityFeatures: n_velocity_bins must be a positive integer, got ${nBins}`);
  }
  const h = height!;
  const w = width!;
  const plane = h * w;
  const m = boxes.shape[0]!;
  const out = new Float32Array(m * nBins);
  const edges = velocityBinEdges(nBins);
  const sum = new Float64Array(nBins);
  const count = new Float64Array(nBins);
  const f = flow.data;
  for (let i = 0; i < m; i++) {
    const x1 = clamp(Math.floor(boxes.data[i * 4]!), w);
    const y1 = clamp(Math.floor(boxes.data[i * 4 + 1]!), h);
    const x2 = clamp(Math.ceil(boxes.data[i * 4 + 2]!), w);
    const y2 = clamp(Math.ceil(boxes.data[i * 4 + 3]!), h);
    for (const movingOnly of [true, false]) {
      sum.fill(0);
      count.fill(0);
      for (let y = y1; y <= y2; y++) {
        for (let x = x1; x <= x2; x++) {
          const p = y * w + x;
          if (movingOnly && !mask[p]) continue;
          const u = f[p]!;
          const v = f[plane + p]!;
          const k = nBins === 1 ? 0 : velocityBinExact(u, v, edges);
          if (k < 0) continue;
          sum[k] += Math.sqrt(u * u + v * v);
          count[k]++;
        }
      }
      if (count.some((c) => c > 0)) break;
    }
    for (let k = 0; k < nBins; k++) out[i * nBins + k] = count[k]! > 0 ? sum[k]! / count[k]! : 0;
  }
  return tensor('float32', out, [m, nBins]);
}

function clamp(v: number, n: number): number {
  return Math.min(Math.max(v, 0), n - 1);
}
