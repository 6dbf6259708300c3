import { readFile, readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { compareFrameNames, frameFileNames } from '@vad/contracts';
import { VadError } from '../errors';
import type { FitVideo } from '../fit';
import { prepareFrame } from '../frames/clip';
import type { PreparedFrame } from '../pipeline-types';

/** The image files of a folder (JPEG, PNG, WebP), in frame order (the contracts' one rule). */
export async function listFrameFiles(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new VadError('file_not_found', `cannot read the frame folder ${dir}: ${(e as Error).message}`);
  }
  return frameFileNames(names).map((n) => join(dir, n));
}

/** A folder of frames as a lazily decoded video. */
export async function folderVideo(dir: string, imageSize: readonly [number, number], id?: string, maxPixels?: number): Promise<FitVideo & { files: string[] }> {
  const files = await listFrameFiles(dir);
  if (files.length === 0) throw new VadError('file_not_found', `${dir} holds no frames (*.jpg, *.jpeg, *.png, *.webp)`);
  return {
    id: id ?? dir.split('/').filter(Boolean).pop() ?? dir,
    frameCount: files.length,
    files,
    async frame(i: number): Promise<PreparedFrame> {
      const file = files[i];
      try {
        return await prepareFrame(await readFile(file), [imageSize[0], imageSize[1]], { maxPixels });
      } catch (e) {
        if (e instanceof VadError) throw new VadError(e.code, `${file}: ${e.message}`, e.details);
        throw e;
      }
    },
  };
}

/** The sub-folders of `dir` (one normal video each), in name order. */
export async function listVideoFolders(dir: string): Promise<string[]> {
  let names: string[];
  try {
    names = await readdir(dir);
  } catch (e) {
    throw new VadError('file_not_found', `cannot read the videos folder ${dir}: ${(e as Error).message}`);
  }
  const out: string[] = [];
  for (const n of names.sort(compareFrameNames)) if ((await stat(join(dir, n))).isDirectory()) out.push(join(dir, n));
  return out;
}
