/** @jest-environment ./src/testing/onnx-jest-environment.js */
import { SHARED_GOLDEN_DIR } from '../testing/golden-dir';
import { loadGoldenCase } from '../golden/golden-case';
import { evaluateGoldenCase, formatOutcome, listGoldenFiles } from '../golden/run-golden';

// The density kinds of the shared vectors (gmm, knn_grouped, combined), through the same evaluators
// the `vad-core:golden` command runs, under the realm-sharing environment onnxruntime needs in jest.
const files = listGoldenFiles(SHARED_GOLDEN_DIR).filter((f) => /\/(gmm|knn_grouped|combined)-[^/]*\.json$/.test(f));

describe('density golden vectors', () => {
  it('finds the gmm, knn_grouped and combined cases', () => {
    expect(files.length).toBeGreaterThanOrEqual(9);
  });

  it.each(files.map((f) => [f.split('/').pop() as string, f]))('%s matches', async (_name, file) => {
    const outcome = await evaluateGoldenCase(loadGoldenCase(file));
    if (!outcome.ok) throw new Error(formatOutcome(outcome));
    expect(outcome.comparisons.length).toBeGreaterThan(0);
  });
});
