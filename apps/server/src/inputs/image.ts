import { VadError } from '@vad/contracts';
import type { ParsedRequest } from './frames';

/**
 * A single image body (image/jpeg, image/png, image/webp, application/x-image, image/x-image — the
 * original tutorial sends `image/x-image` through DataSerializer). One frame is a sequence of one;
 * the route prepends the session's or stream's previous frame, or answers needs_clip.
 */
export function parseImageBody(body: Buffer | undefined): ParsedRequest {
  if (!body || body.byteLength === 0) throw new VadError('bad_image', 'the image body is empty');
  return { form: 'sequence', frames: [{ kind: 'bytes', bytes: new Uint8Array(body.buffer, body.byteOffset, body.byteLength) }] };
}
