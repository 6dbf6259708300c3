import { SHARED_GOLDEN_DIR } from '../testing/golden-dir';
import { loadGoldenCase } from './golden-case';
import { evaluateGoldenCase, formatOutcome, listGoldenFiles } from './run-golden';

// Every shared golden case file is evaluated by the same code the `vad-core:golden` command runs.
const files = listGoldenFiles(SHARED_GOLDEN_DIR);

describe('shared golden vectors', () => {
  it('finds the case files', () => {
    expect(files.length).toBeGreaterThanOrEqual(30);
  });

  it.each(files.map((f) => [f.split('/').pop() as string, f]))('%s matches', async (_name, file) => {
    const outcome = await evaluateGoldenCase(loadGoldenCase(file));
    if (!outcome.ok) throw new Error(formatOutcome(outcome));
    expect(outcome.comparisons.length).toBeGreaterThan(0);
  });
});
