import { VadError } from '../errors';
import type { Float32Tensor } from '../tensor';
import { choleskyLower, inverseLowerTransposed } from './linalg';

/**
 * A Gaussian mixture with full covariances, stored as scikit-learn stores a fitted
 * `GaussianMixture(covariance_type='full')` (and as density.safetensors holds it).
 */
export interface GmmParams {
  /** [K] mixture weights. */
  weights: Float32Tensor;
  /** [K, D] component means. */
  means: Float32Tensor;
  /** [K, D, D] full covariances. */
  covariances: Float32Tensor;
  /** [K, D, D] scikit-learn's `precisions_cholesky_`; derived from `covariances` when absent. */
  precisionsCholesky?: Float32Tensor;
}

/** A GMM ready to score: everything per component that does not depend on the sample, in float64. */
export interface PreparedGmm {
  readonly nComponents: number;
  readonly nFeatures: number;
  /** [K] log weights. */
  readonly logWeights: Float64Array;
  /** [K, D, D] precisions_cholesky (upper triangular P, P·Pᵀ = Σ⁻¹). */
  readonly precisionsCholesky: Float64Array;
  /** [K, D] μ·P, subtracted from x·P as scikit-learn does. */
  readonly meanProjections: Float64Array;
  /** [K] log det P − D/2·log 2π: the per-component constant of the log density. */
  readonly logNormalisers: Float64Array;
}

const LOG_2PI = Math.log(2 * Math.PI);

function invalid(message: string): VadError {
  return new VadError('model_invalid', `velocity GMM: ${message}`);
}

/**
 * scikit-learn's `_compute_precision_cholesky` for full covariances: P = (chol(Σ)⁻¹)ᵀ per component.
 * Returns null for the first component whose covariance is not positive definite.
 */
export function precisionsCholeskyFromCovariances(
  covariances: ArrayLike<number>,
  k: number,
  d: number,
): { precisions: Float64Array } | { failedComponent: number } {
  const out = new Float64Array(k * d * d);
  const cov = new Float64Array(d * d);
  for (let c = 0; c < k; c++) {
    for (let i = 0; i < d * d; i++) cov[i] = covariances[c * d * d + i];
    const l = choleskyLower(cov, d);
    if (!l) return { failedComponent: c };
    out.set(inverseLowerTransposed(l, d), c * d * d);
  }
  return { precisions: out };
}

export function prepareGmm(params: GmmParams): PreparedGmm {
  const k = params.weights.shape[0] ?? 0;
  const d = params.means.shape[1] ?? 0;
  if (params.weights.shape.length !== 1 || k < 1) throw invalid(`weights must be [K] with K ≥ 1, got [${params.weights.shape.join(', ')}]`);
  if (params.means.shape.length !== 2 || params.means.shape[0] !== k || d < 1) {
    throw invalid(`means must be [${k}, D], got [${params.means.shape.join(', ')}]`);
  }
  const square = (t: Float32Tensor, what: string) => {
    if (t.shape.length !== 3 || t.shape[0] !== k || t.shape[1] !== d || t.shape[2] !== d) {
      throw invalid(`${what} must be [${k}, ${d}, ${d}], got [${t.shape.join(', ')}]`);
    }
  };
  square(params.covariances, 'covariances');
  for (const [what, t] of [
    ['weights', params.weights],
    ['means', params.means],
    ['covariances', params.covariances],
  ] as const) {
    for (let i = 0; i < t.data.length; i++) if (!Number.isFinite(t.data[i])) throw invalid(`${what} holds a non-finite value at flat index ${i}`);
  }

  let precisions: Float64Array;
  if (params.precisionsCholesky) {
    square(params.precisionsCholesky, 'precisions_cholesky');
    precisions = Float64Array.from(params.precisionsCholesky.data);
  } else {
    const r = precisionsCholeskyFromCovariances(params.covariances.data, k, d);
    if ('failedComponent' in r) throw invalid(`the covariance of component ${r.failedComponent} is not positive definite; refit the model`);
    precisions = r.precisions;
  }

  const logWeights = new Float64Array(k);
  const meanProjections = new Float64Array(k * d);
  const logNormalisers = new Float64Array(k);
  for (let c = 0; c < k; c++) {
    const w = params.weights.data[c];
    if (!(w >= 0)) throw invalid(`weight ${c} is ${w}; weights must be ≥ 0`);
    logWeights[c] = Math.log(w);
    let logDet = 0;
    for (let i = 0; i < d; i++) {
      const pii = precisions[c * d * d + i * d + i];
      if (!(pii > 0)) throw invalid(`precisions_cholesky of component ${c} has a non-positive diagonal`);
      logDet += Math.log(pii);
    }
    logNormalisers[c] = logDet - 0.5 * d * LOG_2PI;
    for (let j = 0; j < d; j++) {
      let s = 0;
      for (let i = 0; i < d; i++) s += params.means.data[c * d + i] * precisions[c * d * d + i * d + j];
      meanProjections[c * d + j] = s;
    }
  }
  return { nComponents: k, nFeatures: d, logWeights, precisionsCholesky: precisions, meanProjections, logNormalisers };
}

/**
 * Log-likelihood of each row of X [Q, D] under the mixture: scikit-learn's `score_samples`
 * (log-sum-exp over components of log weight + Gaussian log density), in float64.
 * AI-VAD's raw velocity anomaly score is the negation of this.
 */
export function scoreSamples(gmm: GmmParams | PreparedGmm, x: ArrayLike<number>, rows: number): Float64Array {
  const g = 'logWeights' in gmm ? gmm : prepareGmm(gmm);
  const { nComponents: k, nFeatures: d, logWeights, precisionsCholesky: p, meanProjections, logNormalisers } = g;
  if (x.length !== rows * d) {
    throw invalid(
      `the features have ${rows > 0 ? x.length / rows : '?'} values per region but the mixture was fitted on ${d} (n_velocity_bins must match the model)`,
    );
  }
  const out = new Float64Array(rows);
  const weighted = new Float64Array(k);
  const xr = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    for (let i = 0; i < d; i++) xr[i] = x[r * d + i];
    let best = -Infinity;
    for (let c = 0; c < k; c++) {
      const base = c * d * d;
      let sq = 0;
      for (let j = 0; j < d; j++) {
        let y = -meanProjections[c * d + j];
        // The full product, as scikit-learn does: an imported P need not be exactly triangular.
        for (let i = 0; i < d; i++) y += xr[i] * p[base + i * d + j];
        sq += y * y;
      }
      const v = logWeights[c] + logNormalisers[c] - 0.5 * sq;
      weighted[c] = v;
      if (v > best) best = v;
    }
    if (best === -Infinity) {
      out[r] = -Infinity;
      continue;
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(weighted[c] - best);
    out[r] = best + Math.log(sum);
  }
  return out;
}

/** AI-VAD's raw velocity score: −log p(x) per row. */
export function gmmRawScores(gmm: GmmParams | PreparedGmm, x: ArrayLike<number>, rows: number): Float64Array {
  const s = scoreSamples(gmm, x, rows);
  for (let i = 0; i < s.length; i++) s[i] = -s[i];
  return s;
}
