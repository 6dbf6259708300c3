import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { tarEnd, tarHeader } from '../tar-writer';
import { writeStreamedTarGz } from '../testing/hostile';

/**
 * Staging and scratch folders on every exit path, with the real CLI in a child process: SIGTERM
 * and SIGINT mid-unpack and mid-inspect remove them (and the process still dies of the signal);
 * a SIGKILL leaves one behind, which the next unpack sweeps. The archive is 300 MB of zeros
 * (written as ~300 KB of gzip) with the ratio cap raised, so the child is still writing when signalled.
 */
const ROOT = resolve(__dirname, '../../../..');
const MB = 1024 * 1024;
let work: string;
let archive: string;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vad-signal-'));
  archive = join(work, 'slow.tar.gz');
  await writeStreamedTarGz(archive, [tarHeader({ path: 'density.safetensors', type: 'file', size: 300 * MB }), { zeros: 300 * MB }, tarEnd()]);
});
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

function cli(args: string[], tmp: string) {
  const child = spawn(process.execPath, ['-r', join(ROOT, 'tools/ts-register.js'), join(ROOT, 'libs/artifacts/src/cli/main.ts'), ...args], {
    cwd: ROOT,
    env: { ...process.env, TMPDIR: tmp, VAD_UNPACK_MAX_RATIO: '100000' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const done = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((res) => child.on('close', (code, signal) => res({ code, signal })));
  return { child, done, stderr: () => err };
}

/** Waits until `dir` holds an entry starting with `prefix` (the child got as far as staging). */
async function waitFor(dir: string, prefix: string, timeoutMs = 60_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const hit = (await readdir(dir).catch(() => [] as string[])).find((n) => n.startsWith(prefix));
    if (hit) return hit;
    if (Date.now() - t0 > timeoutMs) throw new Error(`nothing named ${prefix}* appeared in ${dir}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('staging and scratch folders on signals (real CLI child process)', () => {
  it.each(['SIGTERM', 'SIGINT'] as const)('%s mid-unpack removes the staging folder, leaves no model, and the process dies of the signal', async (signal) => {
    const parent = join(work, `unpack-${signal}`);
    await mkdir(parent);
    const run = cli(['unpack', '--from', archive, '--out', join(parent, 'model')], work);
    const staging = await waitFor(parent, '.model.unpack-');
    await waitFor(join(parent, staging), 'density.safetensors');
    run.child.kill(signal);
    const { signal: died } = await run.done;
    expect(died).toBe(signal);
    expect(await readdir(parent)).toEqual([]);
  });

  it('SIGTERM mid-inspect removes its scratch folder in TMPDIR', async () => {
    const tmp = join(work, 'inspect-tmp');
    await mkdir(tmp);
    const run = cli(['inspect', '--from', archive], tmp);
    const scratch = await waitFor(tmp, 'vad-inspect-');
    await waitFor(join(tmp, scratch), '.model.unpack-');
    run.child.kill('SIGTERM');
    expect((await run.done).signal).toBe('SIGTERM');
    expect(await readdir(tmp)).toEqual([]);
  });

  it('SIGKILL leaves a staging folder behind; the next unpack beside it removes it', async () => {
    const parent = join(work, 'unpack-kill');
    await mkdir(parent);
    const first = cli(['unpack', '--from', archive, '--out', join(parent, 'model')], work);
    const staging = await waitFor(parent, '.model.unpack-');
    first.child.kill('SIGKILL');
    await first.done;
    expect(existsSync(join(parent, staging))).toBe(true);
    // A second run on an archive it refuses at once: the sweep happens before, whatever the outcome.
    const junk = join(work, 'junk.tar.gz');
    await writeStreamedTarGz(junk, [tarHeader({ path: 'blob.bin', type: 'file', size: 10 }), Buffer.alloc(512), tarEnd()]);
    const second = cli(['unpack', '--from', junk, '--out', join(parent, 'model')], work);
    const { code } = await second.done;
    expect(code).toBe(65);
    expect(second.stderr()).toMatch(/^error\[unsafe_archive\]: archive member "blob.bin" is not a model file/);
    expect(await readdir(parent)).toEqual([]);
  });
});
