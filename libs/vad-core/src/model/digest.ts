import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { VadError } from '../errors';

/** Lowercase hex sha256 of a file, read as a stream so model files of any size use flat memory. */
export async function sha256File(path: string): Promise<string> {
  const hash = createHash('sha256');
  try {
    for await (const chunk of createReadStream(path, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new VadError('file_not_found', `${path} does not exist`, { file: path });
    throw new VadError('file_not_found', `cannot read ${path}: ${err.message}`, { file: path });
  }
  return hash.digest('hex');
}

export function sha256Bytes(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}
