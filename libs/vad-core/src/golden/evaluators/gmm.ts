import { fitGmm } from '../../density/gmm-fit';
import { type GmmParams, gmmRawScores, prepareGmm, scoreSamples } from '../../density/gmm';
import { gmmBankMinMax, minMaxNormalize } from '../../density/normalize';
import { type Comparison, type GoldenCase, compareArrays, compareNumber, goldenFloat32, goldenNumber } from '../golden-case';

/** The fitted-model check of the golden README: our own EM's mean log-likelihood within 1 %. */
const FIT_RELATIVE_TOLERANCE = 0.01;

/**
 * Within 1 % of scikit-learn's mean log-likelihood, or above it. EM only finds a local optimum:
 * scikit-learn's single k-means start (random_state=0) sometimes lands in a worse one than our
 * best-of-4 starts (measured: 6 components in 5-D, −9.78 vs −9.38). A higher likelihood on the
 * same bank is a better maximum-likelihood fit, not an error of the EM, so it passes — with a note
 * on the case's line saying by how much.
 */
export function fitComparison(mean: number, want: number): Comparison {
  const name = 'fit.bank_mean_log_likelihood (within 1 % or higher)';
  const within = compareNumber(name, mean, want, { atol: 0, rtol: FIT_RELATIVE_TOLERANCE });
  if (within.ok || !(mean > want)) return within;
  const better = ((mean - want) / Math.abs(want)) * 100;
  return {
    name,
    ok: true,
    maxAbsDiff: 0,
    note: `${mean} is ${better.toFixed(1)} % above scikit-learn's ${want} (a better local optimum of the same EM objective)`,
  };
}

/**
 * `gmm`: scoring with scikit-learn's fitted parameters (tight), the bank's min/max of
 * −score_samples, the normalised query scores, and our own fit judged by its mean log-likelihood.
 */
export function evaluateGmm(c: GoldenCase): Comparison[] {
  const e = c.expected;
  const params: GmmParams = {
    weights: goldenFloat32(e['weights'], 'weights'),
    means: goldenFloat32(e['means'], 'means'),
    covariances: goldenFloat32(e['covariances'], 'covariances'),
    precisionsCholesky: goldenFloat32(e['precisions_cholesky'], 'precisions_cholesky'),
  };
  const bank = goldenFloat32(c.inputs['bank'], 'bank');
  const queries = goldenFloat32(c.inputs['queries'], 'queries');
  const q = queries.shape[0];
  const gmm = prepareGmm(params);
  const norm = gmmBankMinMax(gmm, bank);
  const out: Comparison[] = [
    compareArrays('score_samples', scoreSamples(gmm, queries.data, q), [q], e['score_samples'], c.tolerance),
    compareNumber('min', norm.min, e['min'], c.tolerance),
    compareNumber('max', norm.max, e['max'], c.tolerance),
    compareArrays('scores', minMaxNormalize(gmmRawScores(gmm, queries.data, q), norm), [q], e['scores'], c.tolerance),
  ];

  const nComponents = Number(c.params['n_components'] ?? (params.weights.shape[0] as number));
  const fitted = fitGmm(bank, { nComponents, seed: 0 });
  const n = bank.shape[0];
  const ll = scoreSamples(fitted.params, bank.data, n);
  let mean = 0;
  for (let i = 0; i < n; i++) mean += ll[i];
  mean /= n;
  const want = goldenNumber(e['bank_mean_log_likelihood'], 'bank_mean_log_likelihood');
  out.push(fitComparison(mean, want));
  return out;
}
