import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameFileNames } from '@vad/contracts';
import { readClip } from './smoke';

/**
 * `deployer invoke` / the smoke test read a frame folder by the contracts' frame order, the one
 * `vad-core fit|score` use too (libs/vad-core/src/cli/frame-folder.spec.ts).
 */
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vad-smoke-spec-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('frame folders', () => {
  it('are read in numeric name order (frame_2 before frame_10), images only', async () => {
    const names = ['frame_10.jpg', 'frame_2.jpg', 'frame_1.png', 'frame_100.webp', 'notes.txt', 'frame_20.JPEG'];
    for (const n of names) await writeFile(join(dir, n), n);
    const expected = ['frame_1.png', 'frame_2.jpg', 'frame_10.jpg', 'frame_20.JPEG', 'frame_100.webp'];
    expect(frameFileNames(names)).toEqual(expected);
    const clip = await readClip(dir);
    expect(clip.files).toEqual(expected);
    // each file's bytes travel with its name
    expect(clip.bytes.map((b) => Buffer.from(b).toString())).toEqual(expected);
  });
});
