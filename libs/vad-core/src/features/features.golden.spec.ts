import { SHARED_GOLDEN_DIR } from '../testing/golden-dir';
import { loadGoldenCase } from '../golden/golden-case';
import { evaluateGoldenCase, formatOutcome, listGoldenFiles } from '../golden/run-golden';

// The feature-math kinds of the shared vectors, through the evaluators the `vad-core:golden` command runs.
const files = listGoldenFiles(SHARED_GOLDEN_DIR).filter((f) => /\/(roi_align|velocity_features|pose_features)-[^/]*\.json$/.test(f));

describe('feature golden vectors', () => {
  it('finds the roi_align, velocity_features and pose_features cases', () => {
    expect(files.length).toBeGreaterThanOrEqual(15);
  });

  it.each(files.map((f) => [f.split('/').pop() as string, f]))('%s matches', async (_name, file) => {
    const outcome = await evaluateGoldenCase(loadGoldenCase(file));
    if (!outcome.ok) throw new Error(formatOutcome(outcome));
    expect(outcome.comparisons.length).toBeGreaterThan(0);
  });
});
