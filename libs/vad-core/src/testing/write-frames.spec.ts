import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { generateScene } from './synthetic-scene';
import { type SceneLabelsFile, sceneFrameName, writeSceneFrames } from './write-frames';

describe('writeSceneFrames', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vad-scene-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes lossless PNGs whose name order is frame order, and labels.json', async () => {
    const scene = generateScene({ seed: 4, frames: 12, kind: 'test', width: 160, height: 120 });
    const names = await writeSceneFrames(scene, join(dir, 'clip'));
    const listed = (await readdir(join(dir, 'clip'))).filter((n) => n.endsWith('.png')).sort();
    expect(listed).toEqual(names);
    expect(names[0]).toBe('frame_0000.png');
    expect(names[11]).toBe('frame_0011.png');
    for (const [i, name] of names.entries()) {
      const { data, info } = await sharp(join(dir, 'clip', name))
        .raw()
        .toBuffer({ resolveWithObject: true });
      expect([info.width, info.height, info.channels]).toEqual([160, 120, 3]);
      expect(Buffer.compare(data, Buffer.from(scene.frames[i]!))).toBe(0);
    }
    const labels = JSON.parse(await readFile(join(dir, 'clip', 'labels.json'), 'utf8')) as SceneLabelsFile;
    expect(labels.frames).toEqual(names);
    expect(labels.labels).toEqual(Array.from(scene.labels));
    expect(labels.objects).toEqual(scene.objects);
    expect([labels.seed, labels.kind, labels.width, labels.height]).toEqual([4, 'test', 160, 120]);
  });

  it('pads frame numbers so that long clips still sort in order', () => {
    expect(sceneFrameName(7, 10)).toBe('frame_0007.png');
    expect(sceneFrameName(123, 20_000)).toBe('frame_00123.png');
    expect([sceneFrameName(9999, 10_001), sceneFrameName(10_000, 10_001)].sort()).toEqual(['frame_09999.png', 'frame_10000.png']);
  });
});
