/**
 * model.tar.gz pack / unpack throughput next to GNU tar on the same files, in the same run
 * (a program that prints numbers, never a test):
 *   nx run bench:artifacts [-- --mb 1024 --level 6 --dir /tmp]
 * The model's bulk is one regions.onnx of float32 "weights" (seeded normal values: they compress
 * about as badly as real network weights do). `tar -czf` uses gzip's default level 6, so ours is
 * timed at that level too, next to the level packModelDir uses by default (9). Our unpack includes
 * what tar does not do: the gzip-bomb and path guards, and the sha256 of every file (verify).
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { once } from 'node:events';
import { packModelDir, unpackModel } from '@vad/artifacts';
import { tinyModelSpec } from '@vad/core/testing';
import { writeModelDir } from '@vad/core';

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1]! : fallback;
}

const mb = Number(arg('mb', '1024'));
const level = Number(arg('level', '6'));
const base = arg('dir', tmpdir());
if (!(mb > 0) || !(level >= 1 && level <= 9)) throw new Error('usage: bench-artifacts [--mb N>0] [--level 1-9] [--dir DIR]');

/** Streams `bytes` of seeded N(0, 0.05) float32 values to `path` (Box–Muller over mulberry32). */
async function writeWeights(path: string, bytes: number): Promise<void> {
  let a = 12345;
  const random = () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (((t ^ (t >>> 14)) >>> 0) + 1) / 4294967297;
  };
  const out = createWriteStream(path);
  const chunk = 1 << 22;
  for (let done = 0; done < bytes; done += chunk) {
    const n = Math.min(chunk, bytes - done) >> 2;
    const v = new Float32Array(n);
    for (let i = 0; i < n; i += 2) {
      const r = Math.sqrt(-2 * Math.log(random())) * 0.05;
      const th = 2 * Math.PI * random();
      v[i] = r * Math.cos(th);
      if (i + 1 < n) v[i + 1] = r * Math.sin(th);
    }
    if (!out.write(Buffer.from(v.buffer))) await once(out, 'drain');
  }
  out.end();
  await once(out, 'finish');
}

/** Wall time and peak RSS of this process while `f` runs (RSS sampled every 20 ms). */
async function measure(f: () => Promise<unknown> | unknown): Promise<{ s: number; peakMb: number }> {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  const t0 = process.hrtime.bigint();
  try {
    await f();
  } finally {
    clearInterval(timer);
  }
  peak = Math.max(peak, process.memoryUsage().rss);
  return { s: Number(process.hrtime.bigint() - t0) / 1e9, peakMb: peak / 2 ** 20 };
}

/** Peak RSS of a child process, from GNU time if present (else not reported). */
function gnuTar(args: string[]): { s: number; peakMb?: number } {
  const t0 = process.hrtime.bigint();
  let peakMb: number | undefined;
  const timed = spawnSync('/usr/bin/time', ['-f', '%M', 'tar', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  if (timed.status === 0) peakMb = Number(timed.stderr.toString().trim().split('\n').pop()) / 1024;
  else execFileSync('tar', args, { stdio: 'ignore' });
  return { s: Number(process.hrtime.bigint() - t0) / 1e9, ...(peakMb ? { peakMb } : {}) };
}

async function main(): Promise<void> {
  const root = await mkdtemp(join(base, 'vad-bench-artifacts-'));
  try {
    const weights = join(root, 'regions.onnx');
    await writeWeights(weights, mb * 2 ** 20);
    const dir = join(root, 'model');
    await writeModelDir({ ...tinyModelSpec(), stages: { ...tinyModelSpec().stages, regions: { kind: 'onnx', model: weights } } }, dir);
    await rm(weights);
    const modelMb = (await stat(join(dir, 'onnx/regions.onnx'))).size / 2 ** 20;

    const rows: [string, number, number | undefined, number][] = [];
    const ours = await measure(() => packModelDir(dir, join(root, 'ours.tar.gz'), { level }));
    const oursBytes = (await stat(join(root, 'ours.tar.gz'))).size;
    rows.push([`pack   vad-serve (gzip -${level}, verifies first)`, ours.s, ours.peakMb, oursBytes]);
    if (level !== 9) {
      const best = await measure(() => packModelDir(dir, join(root, 'ours9.tar.gz')));
      rows.push(['pack   vad-serve (gzip -9, the default)', best.s, best.peakMb, (await stat(join(root, 'ours9.tar.gz'))).size]);
      await rm(join(root, 'ours9.tar.gz'));
    }
    const tarPack = gnuTar(['-czf', join(root, 'gnu.tar.gz'), '-C', dir, '.']);
    rows.push(['pack   tar -czf (gzip -6)', tarPack.s, tarPack.peakMb, (await stat(join(root, 'gnu.tar.gz'))).size]);

    const unpacked = await measure(() => unpackModel(join(root, 'ours.tar.gz'), join(root, 'out-ours')));
    rows.push(['unpack vad-serve (guards + sha256 verify)', unpacked.s, unpacked.peakMb, oursBytes]);
    await mkdir(join(root, 'out-gnu'));
    const tarUnpack = gnuTar(['-xzf', join(root, 'ours.tar.gz'), '-C', join(root, 'out-gnu')]);
    rows.push(['unpack tar -xzf', tarUnpack.s, tarUnpack.peakMb, oursBytes]);

    console.log(`model: ${modelMb.toFixed(0)} MiB of float32 weights (+ config, density); node ${process.version}`);
    console.log(`${'what'.padEnd(44)} ${'MB/s'.padStart(8)} ${'s'.padStart(7)} ${'peak RSS'.padStart(10)} ${'archive'.padStart(12)}`);
    for (const [what, s, peak, bytes] of rows) {
      console.log(
        `${what.padEnd(44)} ${(modelMb / s).toFixed(1).padStart(8)} ${s.toFixed(2).padStart(7)} ${(peak === undefined ? '—' : `${peak.toFixed(0)} MiB`).padStart(10)} ${(bytes / 2 ** 20).toFixed(1).padStart(9)} MiB`,
      );
    }
    const ratio = (a: number, b: number) => (a / b).toFixed(2);
    console.log(`pack: ${ratio(ours.s, tarPack.s)}× tar's time at the same level; unpack: ${ratio(unpacked.s, tarUnpack.s)}× (goal ≤ 1.2×)`);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

void main().catch((e: unknown) => {
  console.error(`error: ${(e as Error).message}`);
  process.exitCode = 1;
});
