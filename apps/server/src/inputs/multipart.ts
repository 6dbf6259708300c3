import type { FastifyRequest } from 'fastify';
import { HttpError } from '../errors';
import type { ParsedRequest } from './frames';

/**
 * multipart/form-data: every file part is a frame, in order (`curl -F f=@a.jpg -F f=@b.jpg`);
 * text fields are ignored. Size and count limits are enforced while streaming, so a body over
 * the limit is refused without being buffered whole.
 */
export async function parseMultipart(req: FastifyRequest, maxFrames: number, maxBytes: number): Promise<ParsedRequest> {
  const frames: Uint8Array[] = [];
  let total = 0;
  for await (const part of req.parts({ limits: { files: maxFrames + 1, fileSize: maxBytes, fields: 100, parts: maxFrames + 101 } })) {
    if (part.type !== 'file') continue;
    if (frames.length >= maxFrames) {
      // Drain the rest so the connection stays usable, then refuse.
      part.file.resume();
      throw new HttpError('too_many_frames', `more than ${maxFrames} image parts (VAD_MAX_FRAMES)`, { max: maxFrames });
    }
    const buf = await part.toBuffer();
    total += buf.byteLength;
    if (total > maxBytes) throw new HttpError('payload_too_large', `the multipart body is over ${maxBytes} bytes (VAD_MAX_BODY_MB)`);
    if (buf.byteLength === 0) throw new HttpError('bad_image', `part ${frames.length} (${part.fieldname}) is empty`, { frame: frames.length });
    frames.push(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
  }
  if (frames.length === 0) throw new HttpError('bad_request', 'the multipart body has no file parts; send images as file parts (curl -F f=@a.jpg -F f=@b.jpg)');
  return { form: 'sequence', frames: frames.map((bytes) => ({ kind: 'bytes', bytes })) };
}
