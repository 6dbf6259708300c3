import { readFile, stat } from 'node:fs/promises';
import { VadError } from '@vad/core';
import { pickleLimits } from '../safety/limits';

/** A user's anomalib file, read whole — after its size is checked against the pickle allocation cap. */
export async function readInput(path: string): Promise<Buffer> {
  const { maxTotalBytes } = pickleLimits();
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch (e) {
    throw new VadError('file_not_found', `cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
  if (size > maxTotalBytes)
    throw new VadError('unsafe_pickle', `${path} is ${size} bytes, more than the ${maxTotalBytes} allowed (VAD_PICKLE_MAX_TOTAL_MB raises it)`, { file: path });
  try {
    return await readFile(path);
  } catch (e) {
    throw new VadError('file_not_found', `cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
}
