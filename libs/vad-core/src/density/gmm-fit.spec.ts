import { float32 } from '../tensor';
import { fitGmm } from './gmm-fit';
import { scoreSamples } from './gmm';
import { seededRandom } from './random';

function gaussianRows(n: number, mean: number[], sd: number, seed: number): number[] {
  const random = seededRandom(seed);
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    for (const m of mean) {
      // Box–Muller
      const u = 1 - random();
      const v = random();
      out.push(m + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v));
    }
  }
  return out;
}

describe('fitGmm', () => {
  const bank = float32([...gaussianRows(300, [-5, 0], 0.5, 1), ...gaussianRows(700, [5, 2], 1, 2)], [1000, 2]);

  it('recovers two separated clusters (means, weights, variances)', () => {
    const fit = fitGmm(bank, { nComponents: 2, seed: 0 });
    expect(fit.converged).toBe(true);
    const { weights, means, covariances } = fit.params;
    const first = means.data[0] < 0 ? 0 : 1;
    const second = 1 - first;
    expect(weights.data[first]).toBeCloseTo(0.3, 2);
    expect(means.data[first * 2]).toBeCloseTo(-5, 1);
    expect(means.data[second * 2 + 1]).toBeCloseTo(2, 1);
    expect(Math.sqrt(covariances.data[second * 4])).toBeCloseTo(1, 1);
    expect(Math.sqrt(covariances.data[first * 4 + 3])).toBeCloseTo(0.5, 1);
  });

  it('is deterministic given the seed', () => {
    const a = fitGmm(bank, { nComponents: 3, seed: 7 });
    const b = fitGmm(bank, { nComponents: 3, seed: 7 });
    expect(Array.from(a.params.means.data)).toEqual(Array.from(b.params.means.data));
    expect(Array.from(a.params.covariances.data)).toEqual(Array.from(b.params.covariances.data));
  });

  it('fits one component with reg_covar variance to a bank of identical rows', () => {
    const same = float32(new Float32Array(40).fill(1.5), [20, 2]);
    const fit = fitGmm(same, { nComponents: 3, seed: 0 });
    expect(fit.nComponents).toBe(1);
    expect(fit.params.covariances.data[0]).toBeCloseTo(1e-6, 9);
    expect(fit.params.covariances.data[1]).toBeCloseTo(0, 12);
    expect(Number.isFinite(scoreSamples(fit.params, [1.5, 1.5], 1)[0])).toBe(true);
  });

  it('caps the components at the number of rows when N < n_components', () => {
    const fit = fitGmm(float32([0, 0, 1, 1], [2, 2]), { nComponents: 5, seed: 0 });
    expect(fit.nComponents).toBe(2);
    expect(fit.params.weights.data[0] + fit.params.weights.data[1]).toBeCloseTo(1, 6);
  });

  it('survives a constant feature column (degenerate covariance)', () => {
    const rows = gaussianRows(200, [0], 1, 3).flatMap((v) => [v, 4]);
    const fit = fitGmm(float32(rows, [200, 2]), { nComponents: 2, seed: 0 });
    const ll = scoreSamples(fit.params, rows, 200);
    expect(ll.every(Number.isFinite)).toBe(true);
  });

  it('names the row holding NaN or Inf (bank_invalid)', () => {
    const rows = [0, 0, 1, 1, 2, NaN, 3, 3];
    expect(() => fitGmm(float32(rows, [4, 2]), { nComponents: 2 })).toThrow(expect.objectContaining({ code: 'bank_invalid', details: { row: 2, column: 1 } }));
    expect(() => fitGmm(float32([Infinity], [1, 1]), { nComponents: 1 })).toThrow(
      expect.objectContaining({ code: 'bank_invalid', message: expect.stringMatching(/row 0/) }),
    );
  });
});
