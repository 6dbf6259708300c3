import { readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, relative } from 'node:path';
import { performance } from 'node:perf_hooks';
import { ERRORS } from '@vad/contracts';
import { VadError } from '@vad/core';
import { readJoblib } from '../importers/joblib';
import { readPickle } from '../importers/pickle-file';
import { readTorchZip } from '../importers/torch-zip';
import { inspectModel } from '../inspect';
import { unpackModel } from '../unpack';
import type { FuzzCase } from './fuzz-cases';

/**
 * Runs fuzz cases in this process (spawned by the fuzz spec and the bench, so its peak RSS is the
 * cases' own): each archive through unpack and inspect, each pickle through its reader. Prints
 * one JSON line per case (code, ms, what was left on disk) and a last line with the peak RSS.
 *   node -r ./tools/ts-register.js libs/artifacts/src/testing/fuzz-runner.ts cases.json
 */
export interface FuzzOutcome {
  readonly name: string;
  readonly file: string;
  readonly codes: string[];
  readonly ms: number;
  /** Paths left beside the input (staging, files outside the target), relative to its folder. */
  readonly leftovers: string[];
  readonly crash?: string;
}

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const p = join(dir, e.name);
    out.push(p);
    if (e.isDirectory()) out.push(...(await walk(p)));
  }
  return out;
}

function codeOf(e: unknown): { code: string; crash?: string } {
  if (e instanceof VadError && e.code in ERRORS && e.code !== 'internal') return { code: e.code };
  return { code: e instanceof VadError ? e.code : 'crash', crash: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
}

async function runCase(c: FuzzCase): Promise<FuzzOutcome> {
  const t0 = performance.now();
  const codes: string[] = [];
  let crash: string | undefined;
  const attempt = async (f: () => unknown) => {
    try {
      await f();
      codes.push('ok');
    } catch (e) {
      const r = codeOf(e);
      codes.push(r.code);
      crash ??= r.crash;
    }
  };
  const caseDir = join(dirname(c.file), `${basename(c.file)}.out`);
  if (c.kind === 'archive') {
    await attempt(() => unpackModel(c.file, join(caseDir, 'target', 'model')));
    await attempt(() => inspectModel(c.file));
  } else {
    const bytes = new Uint8Array(await readFile(c.file));
    await attempt(() => (c.kind === 'pkl' ? readPickle(bytes, c.name) : c.kind.startsWith('joblib') ? readJoblib(bytes, c.name) : readTorchZip(bytes, c.name)));
  }
  const ms = performance.now() - t0;
  // Allowed afterwards: the target's parent, and the model itself when it loaded.
  const left = (await walk(caseDir)).map((p) => relative(caseDir, p)).filter((p) => p !== 'target' && p !== 'target/model' && !p.startsWith('target/model/'));
  const scratch = (await readdir(tmpdir()).catch(() => [] as string[])).filter((n) => n.startsWith(`vad-inspect-${process.pid}-`));
  return { name: c.name, file: c.file, codes, ms, leftovers: [...left, ...scratch.map((n) => join('$TMPDIR', n))], ...(crash ? { crash } : {}) };
}

async function main(): Promise<void> {
  const cases = JSON.parse(await readFile(process.argv[2]!, 'utf8')) as FuzzCase[];
  const gc = (globalThis as { gc?: () => void }).gc;
  for (const c of cases) {
    process.stdout.write(`${JSON.stringify(await runCase(c))}\n`);
    // The peak RSS is then the worst case's, not garbage piled up by the cases before it.
    gc?.();
  }
  process.stdout.write(`${JSON.stringify({ maxRssMB: process.resourceUsage().maxRSS / 1024 })}\n`);
}

if (require.main === module) {
  main().catch((e: unknown) => {
    process.stderr.write(`fuzz-runner: ${String(e)}\n`);
    process.exit(1);
  });
}
