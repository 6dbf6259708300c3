/**
 * Hostile model files (issue 12): the worst time and peak RSS over the seeded fuzz suite, and for
 * each of the table rows — through the CLIs a user runs (`artifacts unpack | verify |
 * inspect` on the archives, `artifacts import` on the .ckpt pickles: exit code, wall time and peak
 * RSS from /usr/bin/time, and what was left on disk) and through the readers in a child process
 * for every container (.pkl .pth .ckpt .joblib, gzip and zlib joblib). Prints numbers, never a test:
 *   nx run bench:hostile [-- --seed 12]
 */
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { packModelDir } from '@vad/artifacts';
import { runInChild, writeFuzzCases, type FuzzCase } from '@vad/artifacts/testing';
import { tinyModelSpec } from '@vad/core/testing';
import { writeModelDir } from '@vad/core';

const seedArg = process.argv.indexOf('--seed');
const seed = seedArg > 0 ? Number(process.argv[seedArg + 1]) : 12;
const ROOT = resolve(__dirname, '../../..');

function cli(args: string[], tmp: string): { exit: number | null; s: number; rssMB: number; line: string } {
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', 'TIME %e %M', process.execPath, '-r', join(ROOT, 'tools/ts-register.js'), join(ROOT, 'libs/artifacts/src/cli/main.ts'), ...args],
    {
      cwd: ROOT,
      env: { ...process.env, TMPDIR: tmp },
      encoding: 'utf8',
      timeout: 120_000,
    },
  );
  const m = /TIME ([\d.]+) (\d+)/.exec(r.stderr);
  const line = r.stderr.split('\n').find((l) => l.startsWith('error[')) ?? r.stdout.trim().split('\n')[0] ?? '';
  return { exit: r.status, s: m ? Number(m[1]) : NaN, rssMB: m ? Number(m[2]) / 1024 : NaN, line: line.slice(0, 150) };
}

async function leftovers(dir: string): Promise<string[]> {
  return (await readdir(dir)).filter((n) => n.startsWith('.') || n.startsWith('vad-inspect-'));
}

async function main(): Promise<void> {
  const work = await mkdtemp(join(tmpdir(), 'vad-bench-hostile-'));
  try {
    const model = join(work, 'valid-model');
    await writeModelDir(tinyModelSpec(), model);
    const valid = (await packModelDir(model, join(work, 'valid.tar.gz'))).path;
    const cases = await writeFuzzCases(join(work, 'cases'), seed, valid);
    const t0 = Date.now();
    const all = await runInChild(cases, work, 'all', 600_000);
    const worst = all.outcomes.reduce((a, b) => (b.ms > a.ms ? b : a));
    console.log(
      `fuzz suite: ${cases.length} cases (seed ${seed}) in ${((Date.now() - t0) / 1000).toFixed(1)} s; worst ${Math.round(worst.ms)} ms (${worst.name}); peak RSS of the reading process ${all.maxRssMB.toFixed(0)} MB`,
    );
    console.log('\nissue 12 table rows, through the readers (one child process per row):');
    for (const c of cases.filter((x): x is FuzzCase & { row: string } => x.row !== undefined)) {
      const r = await runInChild([c], work, 'row', 120_000);
      const o = r.outcomes[0]!;
      console.log(
        `  ${c.row.padEnd(48)} ${o.codes.join('/').padEnd(28)} ${String(Math.round(o.ms)).padStart(6)} ms  ${r.maxRssMB.toFixed(0).padStart(4)} MB RSS  left: ${o.leftovers.length ? o.leftovers.join(',') : 'nothing'}`,
      );
    }
    console.log('\nissue 12 table rows, through the CLI (exit code, wall s including Node + TypeScript start-up, peak RSS):');
    const scratch = join(work, 'cli-tmp');
    await mkdir(scratch);
    // The same CLI doing nothing: what of each wall time below is Node + TypeScript start-up.
    const idle = cli(['--help'], scratch);
    console.log(`  (start-up alone, \`artifacts --help\`: ${idle.s.toFixed(2)} s, ${idle.rssMB.toFixed(0)} MB)`);
    for (const c of cases.filter((x) => x.row !== undefined && (x.kind === 'archive' || x.kind === 'ckpt'))) {
      const runs: [string, string[]][] =
        c.kind === 'archive'
          ? [
              ['unpack', ['unpack', '--from', c.file, '--out', join(work, 'cli-out', 'model')]],
              ['verify', ['verify', '--from', c.file]],
              ['inspect', ['inspect', '--from', c.file]],
            ]
          : [['import', ['import', '--from', c.file, '--out', join(work, 'cli-out', 'model')]]];
      for (const [what, args] of runs) {
        const r = cli(args, scratch);
        const left = [...(await leftovers(scratch)), ...(await leftovers(join(work, 'cli-out')).catch(() => [] as string[]))];
        console.log(
          `  ${c.row!.padEnd(40)} ${what.padEnd(8)} exit ${r.exit}  ${r.s.toFixed(2)} s  ${r.rssMB.toFixed(0)} MB  left: ${left.join(',') || 'nothing'}  ${r.line}`,
        );
      }
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

void main();
