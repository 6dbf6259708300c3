import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyModelSpec } from '@vad/core/testing';
import { VadError, writeModelDir } from '@vad/core';
import { checkModelDirSafety } from './model-dir-guard';

/** The folder form of unpack's checks, as the server runs it on /opt/ml/model at start-up. */
let root: string;
let dir: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vad-dir-guard-'));
  dir = join(root, 'model');
  await writeModelDir(tinyModelSpec(), dir);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function refused(message: RegExp, limits = {}): Promise<void> {
  const e = await checkModelDirSafety(dir, limits).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(VadError);
  expect((e as VadError).code).toBe('unsafe_archive');
  expect((e as VadError).message).toMatch(message);
}

describe('checkModelDirSafety', () => {
  it('passes a model folder as writeModelDir makes it', async () => {
    await expect(checkModelDirSafety(dir)).resolves.toBeUndefined();
  });
  it('leaves a missing folder to the loader', async () => {
    await expect(checkModelDirSafety(join(root, 'none'))).resolves.toBeUndefined();
  });
  it('refuses a symbolic link', async () => {
    await symlink('/etc/passwd', join(dir, 'onnx', 'evil'));
    await refused(/"onnx\/evil" is a symbolic link \(to "\/etc\/passwd"\)/);
  });
  it('refuses a FIFO', async () => {
    execFileSync('mkfifo', [join(dir, 'pipe')]);
    await refused(/"pipe" is a FIFO/);
  });
  it('refuses a pickle by its name', async () => {
    await writeFile(join(dir, 'banks.joblib'), 'x');
    await refused(/banks\.joblib is a pickle or numpy file/);
  });
  it('refuses a file the manifest does not list', async () => {
    await mkdir(join(dir, 'extra'));
    await writeFile(join(dir, 'extra', 'notes.txt'), 'x');
    await refused(/"extra\/notes\.txt" is not listed in manifest\.json/);
  });
  it('refuses a file over the per-file cap', async () => {
    await refused(/is \d+ bytes, more than the 10 allowed per file/, { maxEntryBytes: 10 });
  });
  it('stops listing at the member cap', async () => {
    for (let i = 0; i < 20; i++) await mkdir(join(dir, `d${i}`));
    await refused(/is member number 9, more than the 8 allowed/, { maxEntries: 8 });
  });
});
