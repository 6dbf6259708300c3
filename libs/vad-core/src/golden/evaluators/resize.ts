import { VadError } from '../../errors';
import { resizeBilinearChw, resizeLinearU8 } from '../../frames/resize';
import { type Comparison, type GoldenCase, compareArrays, goldenFloat32, goldenInt32 } from '../golden-case';

function targetSize(c: GoldenCase): [number, number] {
  const size = c.params['size'];
  if (!Array.isArray(size) || size.length !== 2) throw new VadError('bad_argument', `${c.file}: params.size must be [height, width]`);
  return [Number(size[0]), Number(size[1])];
}

/** `resize`: op `image` is OpenCV INTER_LINEAR on uint8 HWC, op `flow` torch bilinear on [C,H,W]. */
export function evaluateResize(c: GoldenCase): Comparison[] {
  const [h, w] = targetSize(c);
  const op = c.params['op'];
  if (op === 'image') {
    const img = goldenInt32(c.inputs['image_hwc_uint8'], 'inputs.image_hwc_uint8');
    const [sh, sw, cn] = img.shape;
    const out = resizeLinearU8(Uint8Array.from(img.data), sh, sw, cn, h, w);
    return [compareArrays('resized_hwc_uint8', out, [h, w, cn], c.expected['resized_hwc_uint8'], c.tolerance)];
  }
  if (op === 'flow') {
    const flow = goldenFloat32(c.inputs['flow'], 'inputs.flow');
    const out = resizeBilinearChw(flow, [h, w]);
    return [compareArrays('flow', out.data, out.shape, c.expected['flow'], c.tolerance)];
  }
  throw new VadError('bad_argument', `${c.file}: unknown resize op ${JSON.stringify(op)} (image | flow)`);
}
