import { SHARED_GOLDEN_DIR, VARIANT_GOLDEN_DIR } from '../testing/golden-dir';
import { loadGoldenCase } from './golden-case';
import { evaluateGoldenCase, formatOutcome, listGoldenFiles } from './run-golden';

// Every golden case file is evaluated by the same code the `vad-core:golden` command runs: the
// shared set, and tools/golden-variants (other parameters and sizes, computed by the same
// reference libraries) so that passing does not depend on the shared set's parameter choices.
describe.each([
  ['shared golden vectors', SHARED_GOLDEN_DIR, 30],
  ['variant golden vectors (tools/golden-variants)', VARIANT_GOLDEN_DIR, 70],
])('%s', (_title, dir, atLeast) => {
  const files = listGoldenFiles(dir);

  it('finds the case files', () => {
    expect(files.length).toBeGreaterThanOrEqual(atLeast);
  });

  it.each(files.map((f) => [f.split('/').pop() as string, f]))('%s matches', async (_name, file) => {
    const outcome = await evaluateGoldenCase(loadGoldenCase(file));
    if (!outcome.ok) throw new Error(formatOutcome(outcome));
    expect(outcome.comparisons.length).toBeGreaterThan(0);
  });
});
