import { gunzipSync, inflateRawSync, inflateSync } from 'node:zlib';
import { VadError } from '@vad/core';
import { pickleLimits } from '../safety/limits';

/**
 * zlib, gzip or raw deflate inflated in memory with a ceiling: the smaller of the pickle
 * allocation cap (VAD_PICKLE_MAX_TOTAL_MB) and 100× the input past 64 MiB (a compressed joblib of
 * float banks shrinks ~1.1:1; a bomb of zeros ~1000:1), so a 10 KB file cannot ask for gigabytes.
 * `expected`: a size the container declares (a zip member), refused if the data disagrees.
 */
const RATIO = 100;
const FREE_BYTES = 64 * 1024 * 1024;

export function inflateBounded(kind: 'zlib' | 'gzip' | 'raw', input: Uint8Array, source: string, expected?: number): Uint8Array {
  const { maxTotalBytes } = pickleLimits();
  const ceiling = Math.min(maxTotalBytes, Math.max(FREE_BYTES, input.byteLength * RATIO));
  if (expected !== undefined && expected > ceiling) {
    throw new VadError(
      'unsafe_pickle',
      `${source}: a member declares ${expected} bytes from ${input.byteLength} compressed, more than the ${ceiling} allowed (VAD_PICKLE_MAX_TOTAL_MB raises it)`,
      { file: source },
    );
  }
  const maxOutputLength = expected !== undefined ? Math.max(expected, 1) : ceiling;
  let out: Buffer;
  try {
    out = (kind === 'zlib' ? inflateSync : kind === 'gzip' ? gunzipSync : inflateRawSync)(input, { maxOutputLength });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_BUFFER_TOO_LARGE' || err instanceof RangeError) {
      throw new VadError(
        'unsafe_pickle',
        `${source}: inflates to more than ${maxOutputLength} bytes (a compression bomb? VAD_PICKLE_MAX_TOTAL_MB raises the cap)`,
        { file: source },
      );
    }
    throw new VadError('unsupported_format', `${source}: damaged ${kind} data: ${err.message}`, { file: source });
  }
  if (expected !== undefined && out.byteLength !== expected)
    throw new VadError('unsupported_format', `${source}: a member inflates to ${out.byteLength} bytes, not the ${expected} it declares`, { file: source });
  return new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
}
