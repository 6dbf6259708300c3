import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { listFrameFiles, listVideoFolders } from './frame-folder';

/** `vad-core fit|score` read frame folders in the contracts' frame order: frame_2 before frame_10. */
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vad-frame-folder-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

it('lists frames and video folders in numeric name order, images only', async () => {
  for (const n of ['frame_10.jpg', 'frame_2.jpg', 'frame_1.png', 'readme.md']) await writeFile(join(dir, n), n);
  expect(await listFrameFiles(dir)).toEqual(['frame_1.png', 'frame_2.jpg', 'frame_10.jpg'].map((n) => join(dir, n)));
  const videos = join(dir, 'videos');
  for (const n of ['video_10', 'video_9']) await mkdir(join(videos, n), { recursive: true });
  expect(await listVideoFolders(videos)).toEqual(['video_9', 'video_10'].map((n) => join(videos, n)));
});
