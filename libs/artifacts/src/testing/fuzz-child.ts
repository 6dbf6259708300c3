import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { FuzzCase } from './fuzz-cases';
import type { FuzzOutcome } from './fuzz-runner';

const ROOT = resolve(__dirname, '../../../..');

/** Runs `cases` in a fresh node process (fuzz-runner.ts); its peak RSS is theirs alone. */
export async function runInChild(
  cases: readonly FuzzCase[],
  workDir: string,
  tag: string,
  timeoutMs = 120_000,
): Promise<{ outcomes: FuzzOutcome[]; maxRssMB: number }> {
  const list = join(workDir, `${tag}.cases.json`);
  await writeFile(list, JSON.stringify(cases));
  const child = spawn(
    process.execPath,
    ['--expose-gc', '-r', join(ROOT, 'tools/ts-register.js'), join(ROOT, 'libs/artifacts/src/testing/fuzz-runner.ts'), list],
    {
      cwd: ROOT,
      // Its own TMPDIR: inspect's scratch folders are checked for exactly.
      env: { ...process.env, TMPDIR: workDir },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  child.stdout.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr.on('data', (c: Buffer) => (err += c.toString()));
  const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs);
  const code = await new Promise<number | null>((res) => child.on('close', res));
  clearTimeout(timer);
  if (code !== 0) throw new Error(`fuzz-runner exited ${code}: ${err.slice(-2000)}`);
  const lines = out
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as FuzzOutcome & { maxRssMB?: number });
  const last = lines.pop()!;
  return { outcomes: lines, maxRssMB: last.maxRssMB! };
}
