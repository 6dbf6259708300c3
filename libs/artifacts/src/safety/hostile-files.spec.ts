import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tinyModelSpec } from '@vad/core/testing';
import { ERRORS } from '@vad/contracts';
import { writeModelDir } from '@vad/core';
import { packModelDir } from '../pack';
import { writeFuzzCases, type FuzzCase } from '../testing/fuzz-cases';
import { runInChild } from '../testing/fuzz-child';

/**
 * Issue 12's fuzz suite: every hostile archive and pickle kind (the issue's table rows among them,
 * at full size) plus seeded random mutations of a valid model.tar.gz and of valid pickles, ~300
 * cases, read in a child process. Each must end with a stable code (the one it is built to hit;
 * any non-internal one for mutations), no file outside the target, no staging or scratch folder
 * left, within 5 s, and the child's peak RSS within 300 MB. `nx run bench:hostile` prints the figures.
 */
const SEED = Number(process.env['VAD_FUZZ_SEED'] ?? 12);
let work: string;
let cases: FuzzCase[];
let result: Awaited<ReturnType<typeof runInChild>>;

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'vad-fuzz-'));
  const model = join(work, 'valid-model');
  await writeModelDir(tinyModelSpec(), model);
  const valid = (await packModelDir(model, join(work, 'valid.tar.gz'))).path;
  cases = await writeFuzzCases(join(work, 'cases'), SEED, valid);
  // ~35 s of one core on a loaded 2-core machine; the limits leave room for a slower CI runner.
  result = await runInChild(cases, work, 'all', 230_000);
}, 240_000);
afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('hostile model files (seeded fuzz suite)', () => {
  it('runs a few hundred cases, every table row among them', () => {
    expect(cases.length).toBeGreaterThanOrEqual(250);
    expect(result.outcomes).toHaveLength(cases.length);
    for (const row of [
      '10 GB trailing',
      'ten 1 GB members',
      '200 000 nested containers (ckpt)',
      '1 000 000 APPENDs (joblib-zlib)',
      '2 MiB of LONG4 opcodes (ckpt)',
    ]) {
      expect(cases.some((c) => c.row?.includes(row))).toBe(true);
    }
  });

  it('every case ends with its stable code, never a crash or internal', () => {
    const wrong = result.outcomes.flatMap((o, i) => {
      const c = cases[i]!;
      const bad =
        o.crash !== undefined || o.codes.some((code) => (c.expect === 'any' ? code !== 'ok' && (!(code in ERRORS) || code === 'internal') : code !== c.expect));
      return bad ? [`${c.name} (${c.kind}): ${o.codes.join(', ')} ${o.crash ?? ''}`] : [];
    });
    expect(wrong).toEqual([]);
  });

  it('leaves nothing on disk: no file outside the target, no staging, no inspect scratch', async () => {
    expect(result.outcomes.filter((o) => o.leftovers.length > 0).map((o) => `${o.name}: ${o.leftovers.join(', ')}`)).toEqual([]);
    expect((await readdir(work)).filter((n) => n.startsWith('vad-inspect-'))).toEqual([]);
  });

  it('refuses each case within 5 s and stays within 300 MB RSS', () => {
    expect(result.outcomes.filter((o) => o.ms > 5000).map((o) => `${o.name}: ${Math.round(o.ms)} ms`)).toEqual([]);
    expect(result.maxRssMB).toBeLessThan(300);
  });
});
