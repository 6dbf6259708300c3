import { VadError } from '../errors';
import { float32 } from '../tensor';
import { type GmmParams, precisionsCholeskyFromCovariances, prepareGmm, scoreSamples } from './gmm';

const LOG_2PI = Math.log(2 * Math.PI);

/** Gaussian log density with a diagonal covariance, written out independently of the Cholesky path. */
function diagLogPdf(x: number[], mean: number[], variances: number[]): number {
  let s = -0.5 * x.length * LOG_2PI;
  for (let i = 0; i < x.length; i++) s += -0.5 * Math.log(variances[i]) - (0.5 * (x[i] - mean[i]) ** 2) / variances[i];
  return s;
}

const twoComponents: GmmParams = {
  weights: float32([0.25, 0.75], [2]),
  means: float32([0, 0, 3, -1], [2, 2]),
  covariances: float32([1, 0, 0, 4, 0.5, 0, 0, 2], [2, 2, 2]),
};

describe('scoreSamples (scikit-learn score_samples)', () => {
  it('is the normal log density for one component', () => {
    const gmm: GmmParams = { weights: float32([1], [1]), means: float32([2], [1, 1]), covariances: float32([9], [1, 1, 1]) };
    const got = scoreSamples(gmm, [2, 5, -4], 3);
    expect(got[0]).toBeCloseTo(diagLogPdf([2], [2], [9]), 10);
    expect(got[1]).toBeCloseTo(diagLogPdf([5], [2], [9]), 10);
    expect(got[2]).toBeCloseTo(diagLogPdf([-4], [2], [9]), 10);
  });

  it('mixes components by log-sum-exp of weighted densities', () => {
    const x = [0.5, -0.5, 2.5, -2];
    const got = scoreSamples(twoComponents, x, 2);
    for (let r = 0; r < 2; r++) {
      const p = x.slice(r * 2, r * 2 + 2);
      const want = Math.log(0.25 * Math.exp(diagLogPdf(p, [0, 0], [1, 4])) + 0.75 * Math.exp(diagLogPdf(p, [3, -1], [0.5, 2])));
      expect(got[r]).toBeCloseTo(want, 6);
    }
  });

  it('stays finite far from every component (no underflow to -Infinity)', () => {
    const [far] = scoreSamples(twoComponents, [1e3, 1e3], 1);
    expect(Number.isFinite(far)).toBe(true);
    // exp() of either term underflows; log-sum-exp keeps the dominant one (Mahalanobis-closest)
    const a = Math.log(0.25) + diagLogPdf([1e3, 1e3], [0, 0], [1, 4]);
    const b = Math.log(0.75) + diagLogPdf([1e3, 1e3], [3, -1], [0.5, 2]);
    expect(far).toBeCloseTo(Math.max(a, b), 3);
  });

  it('gives the same scores from given or derived precisions_cholesky', () => {
    const cov = twoComponents.covariances.data;
    const r = precisionsCholeskyFromCovariances(cov, 2, 2);
    if (!('precisions' in r)) throw new Error('not PD');
    const withP = { ...twoComponents, precisionsCholesky: float32(Float32Array.from(r.precisions), [2, 2, 2]) };
    const a = scoreSamples(withP, [1, 2, -3, 0.5], 2);
    const b = scoreSamples(twoComponents, [1, 2, -3, 0.5], 2);
    expect(a[0]).toBeCloseTo(b[0], 5);
    expect(a[1]).toBeCloseTo(b[1], 5);
  });

  it('derives P with P·Pᵀ = Σ⁻¹ for a full covariance', () => {
    const sigma = [4, 1.2, 0.5, 1.2, 3, -0.7, 0.5, -0.7, 2];
    const r = precisionsCholeskyFromCovariances(sigma, 1, 3);
    if (!('precisions' in r)) throw new Error('not PD');
    const p = r.precisions;
    for (let i = 0; i < 3; i++) {
      for (let j = 0; j < 3; j++) {
        // Σ · (P·Pᵀ) must be the identity
        let s = 0;
        for (let m = 0; m < 3; m++) {
          let ppt = 0;
          for (let t = 0; t < 3; t++) ppt += p[m * 3 + t] * p[j * 3 + t];
          s += sigma[i * 3 + m] * ppt;
        }
        expect(s).toBeCloseTo(i === j ? 1 : 0, 10);
      }
    }
  });

  it('refuses features of the wrong width and non-PD covariances with model_invalid', () => {
    expect(() => scoreSamples(twoComponents, [1, 2, 3], 1)).toThrow(VadError);
    try {
      scoreSamples(twoComponents, [1, 2, 3], 1);
    } catch (e) {
      expect((e as VadError).code).toBe('model_invalid');
    }
    const bad: GmmParams = { weights: float32([1], [1]), means: float32([0, 0], [1, 2]), covariances: float32([1, 2, 2, 1], [1, 2, 2]) };
    expect(() => prepareGmm(bad)).toThrow(expect.objectContaining({ code: 'model_invalid', message: expect.stringMatching(/positive definite/) }));
  });
});
