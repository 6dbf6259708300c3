import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import sharp from 'sharp';
import { VadError } from '../errors';
import type { Scene } from './synthetic-scene';

/** `frame_0000.png`, …: zero-padded so that name order is frame order (how clip folders are read). */
export function sceneFrameName(index: number, count: number): string {
  return `frame_${String(index).padStart(Math.max(4, String(count - 1).length), '0')}.png`;
}

/** What `labels.json` beside the frames holds. */
export interface SceneLabelsFile {
  seed: number;
  kind: Scene['kind'];
  width: number;
  height: number;
  frames: string[];
  /** 1 when an anomalous object is visible in the frame, else 0. */
  labels: number[];
  objects: Scene['objects'];
}

/**
 * Writes a scene as a clip folder: numbered lossless PNGs plus `labels.json`. Returns the frame
 * file names in order.
 */
export async function writeSceneFrames(scene: Scene, dir: string): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const names = scene.frames.map((_, i) => sceneFrameName(i, scene.frames.length));
  const raw = { width: scene.width, height: scene.height, channels: 3 as const };
  // A few at a time: sharp encodes on libuv's pool; a 2000-frame clip must not queue 2000 buffers.
  const parallel = 4;
  for (let start = 0; start < names.length; start += parallel) {
    await Promise.all(
      names.slice(start, start + parallel).map(async (name, k) => {
        const path = join(dir, name);
        try {
          await sharp(scene.frames[start + k]!, { raw })
            .png({ compressionLevel: 3 })
            .toFile(path);
        } catch (e) {
          throw new VadError('internal', `cannot write ${path}: ${(e as Error).message}`, undefined, { cause: e });
        }
      }),
    );
  }
  const labels: SceneLabelsFile = {
    seed: scene.seed,
    kind: scene.kind,
    width: scene.width,
    height: scene.height,
    frames: names,
    labels: Array.from(scene.labels),
    objects: scene.objects,
  };
  await writeFile(join(dir, 'labels.json'), JSON.stringify(labels));
  return names;
}
