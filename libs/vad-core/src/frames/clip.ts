import { VadError } from '../errors';
import type { PreparedFrame } from '../pipeline-types';
import { type DecodeOptions, decodeImage } from './decode';
import { resizeRgbToChwFloat } from './resize';

/**
 * RGB uint8 pixels [height, width, 3] → a PreparedFrame at the model's working size: OpenCV
 * INTER_LINEAR resize on uint8, then /255 to float32 [3, H, W] (anomalib's frame transform).
 */
export function prepareFrameFromRgb(rgb: Uint8Array, width: number, height: number, imageSize: readonly [number, number]): PreparedFrame {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new VadError('bad_argument', `prepareFrameFromRgb: width and height must be positive integers, got ${width}x${height}`);
  }
  if (rgb.length !== width * height * 3) {
    throw new VadError('bad_argument', `prepareFrameFromRgb: ${rgb.length} bytes are not a ${width}x${height} RGB image (${width * height * 3} bytes)`);
  }
  const [h, w] = imageSize;
  if (!(Number.isInteger(h) && Number.isInteger(w) && h > 0 && w > 0)) {
    throw new VadError('bad_argument', `prepareFrameFromRgb: imageSize must be [height, width] of positive integers, got [${imageSize.join(', ')}]`);
  }
  return { image: resizeRgbToChwFloat(rgb, height, width, h, w), originalSize: [height, width] };
}

/** Encoded JPEG/PNG/WebP bytes → a PreparedFrame (see decodeImage for what is refused). */
export async function prepareFrame(bytes: Uint8Array, imageSize: readonly [number, number], opts: DecodeOptions = {}): Promise<PreparedFrame> {
  const img = await decodeImage(bytes, opts);
  return prepareFrameFromRgb(img.data, img.width, img.height, imageSize);
}

/**
 * The frames of one clip or sequence must come from one camera at one size: a size change means
 * mixed sources, and flow between differently scaled frames is meaningless.
 */
export function assertSameSize(frames: readonly PreparedFrame[]): void {
  if (frames.length === 0) return;
  const [h0, w0] = frames[0].originalSize;
  for (let i = 1; i < frames.length; i++) {
    const [h, w] = frames[i].originalSize;
    if (h !== h0 || w !== w0) {
      throw new VadError(
        'frame_size_mismatch',
        `frame ${i} is ${w}x${h} but frame 0 is ${w0}x${h0} (width x height): all frames of a clip must have the same size`,
        { index: i, expected: [h0, w0], got: [h, w] },
      );
    }
  }
}
