import { formatOutcome } from '../run-golden';
import { fitComparison } from './gmm';

describe('the golden fit check (mean log-likelihood on the bank)', () => {
  it('passes within 1 % of scikit-learn on either side', () => {
    expect(fitComparison(-9.85, -9.8).ok).toBe(true);
    expect(fitComparison(-9.75, -9.8).ok).toBe(true);
  });

  it('fails a fit more than 1 % worse', () => {
    const c = fitComparison(-10.0, -9.8);
    expect(c.ok).toBe(false);
    expect(c.detail).toBe('got -10, want -9.8');
  });

  it('passes a better optimum of the same objective, and says so on the case line', () => {
    const c = fitComparison(-9.381, -9.7816);
    expect(c.ok).toBe(true);
    const line = formatOutcome({ file: 'x/gmm-v.json', kind: 'gmm', ok: true, comparisons: [c] });
    expect(line).toMatch(/^PASS gmm-v\.json gmm .* — fit\.bank_mean_log_likelihood \(within 1 % or higher\): -9\.381 is 4\.1 % above scikit-learn's -9\.7816/);
  });

  it('never passes a non-finite likelihood', () => {
    expect(fitComparison(Number.NaN, -9.8).ok).toBe(false);
  });
});
