import { VadError } from '@vad/contracts';
import type { FastifyRequest } from 'fastify';
import type { ParsedRequest } from './frames';

const BOUNDARY = /;\s*boundary=("[^"]{1,70}"|[^\s;"]{1,70})/i;

function badMultipart(why: string): VadError {
  return new VadError('bad_multipart', `the multipart/form-data body cannot be read: ${why}; send it as curl -F f=@a.jpg -F f=@b.jpg does`);
}

/**
 * multipart/form-data: every file part is a frame, in order (`curl -F f=@a.jpg -F f=@b.jpg`);
 * text fields are ignored but counted. One byte budget covers the whole body, whatever the part
 * type, enforced while streaming, so a body over the limit is refused without being buffered
 * whole. A body busboy cannot frame (no or wrong boundary, truncated) is `bad_multipart`.
 */
export async function parseMultipart(req: FastifyRequest, maxFrames: number, maxBytes: number): Promise<ParsedRequest> {
  if (!BOUNDARY.test(req.headers['content-type'] ?? '')) throw badMultipart('the Content-Type has no boundary= parameter');
  const frames: Uint8Array[] = [];
  let total = 0;
  const count = (bytes: number): void => {
    total += bytes;
    if (total > maxBytes) throw new VadError('payload_too_large', `the multipart body is over ${maxBytes} bytes (VAD_MAX_BODY_MB)`, { max: maxBytes });
  };
  // busboy buffers a text field only up to fieldSize but reads the rest of it, and a part that
  // never ends never reaches the loop below: count the raw bytes too (a second 'data' listener
  // beside busboy's pipe only observes), and stop at the budget whatever busboy is doing.
  let rawBytes = 0;
  let overflow!: (e: VadError) => void;
  const overBudget = new Promise<never>((_, reject) => (overflow = reject));
  overBudget.catch(() => undefined);
  const onData = (chunk: Buffer): void => {
    rawBytes += chunk.byteLength;
    if (rawBytes > maxBytes) {
      req.raw.removeListener('data', onData);
      overflow(new VadError('payload_too_large', `the multipart body is over ${maxBytes} bytes (VAD_MAX_BODY_MB)`, { max: maxBytes }));
    }
  };
  // readParts() pipes the request into busboy synchronously (its first next()); only then may a
  // 'data' listener join — before, it would start the flow with no one to take the bytes.
  const reading = readParts();
  req.raw.on('data', onData);
  try {
    await Promise.race([reading, overBudget]);
  } finally {
    req.raw.removeListener('data', onData);
    reading.catch(() => undefined); // lost the race: its failure is no news
  }
  if (frames.length === 0) throw new VadError('bad_request', 'the multipart body has no file parts; send images as file parts (curl -F f=@a.jpg -F f=@b.jpg)');
  return { form: 'sequence', frames: frames.map((bytes) => ({ kind: 'bytes', bytes })) };

  async function readParts(): Promise<void> {
    try {
      for await (const part of req.parts({ limits: { files: maxFrames + 1, fileSize: maxBytes, fieldSize: maxBytes, fields: 100, parts: maxFrames + 101 } })) {
        if (part.type !== 'file') {
          // Text fields count against the same budget; busboy stops buffering one at fieldSize.
          count(Buffer.byteLength(typeof part.value === 'string' ? part.value : String(part.value ?? '')));
          if (part.valueTruncated) count(maxBytes + 1);
          continue;
        }
        if (frames.length >= maxFrames) {
          // Drain the rest so the connection stays usable, then refuse.
          part.file.resume();
          throw new VadError('too_many_frames', `more than ${maxFrames} image parts (VAD_MAX_FRAMES)`, { max: maxFrames });
        }
        const buf = await part.toBuffer();
        count(buf.byteLength);
        if (buf.byteLength === 0) throw new VadError('bad_image', `part ${frames.length} (${part.fieldname}) is empty`, { frame: frames.length });
        frames.push(new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength));
      }
    } catch (e) {
      // busboy's framing errors are plain Errors without a code ("Unexpected end of form",
      // "Malformed part header"); fastify's own (limits, premature close) keep their mapping.
      if (e instanceof VadError || (typeof (e as { code?: unknown }).code === 'string' && (e as { code: string }).code.startsWith('FST_'))) throw e;
      throw badMultipart(e instanceof Error ? e.message : String(e));
    }
  }
}
