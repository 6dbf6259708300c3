import { copyFileSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SHARED_GOLDEN_DIR } from '../testing/golden-dir';
import { evaluateGoldenDir, formatOutcome, listGoldenFiles } from './run-golden';

describe('golden directories', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vad-golden-dir-'));
    for (const [sub, file] of [
      ['', 'gmm-0.json'],
      ['roi', 'roi_align-0-s7.json'],
      ['knn/k', 'knn_grouped-0.json'],
    ] as const) {
      mkdirSync(join(dir, sub), { recursive: true });
      copyFileSync(join(SHARED_GOLDEN_DIR, file), join(dir, sub, file));
    }
    mkdirSync(join(dir, '.cache'));
    writeFileSync(join(dir, '.cache', 'stale.json'), '{}');
    writeFileSync(join(dir, 'README.md'), 'not a case');
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('finds case files in sub-folders too, in path order, skipping hidden folders and non-JSON files', () => {
    expect(listGoldenFiles(dir).map((f) => f.slice(dir.length + 1))).toEqual(['gmm-0.json', 'knn/k/knn_grouped-0.json', 'roi/roi_align-0-s7.json']);
  });

  it('evaluates them and names each by its path below the directory', async () => {
    const outcomes = await evaluateGoldenDir(dir);
    expect(outcomes.every((o) => o.ok)).toBe(true);
    expect(outcomes.map((o) => formatOutcome(o, dir).split(' ').slice(0, 3).join(' '))).toEqual([
      'PASS gmm-0.json gmm',
      'PASS knn/k/knn_grouped-0.json knn_grouped',
      'PASS roi/roi_align-0-s7.json roi_align',
    ]);
  });
});
