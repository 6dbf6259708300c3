import { VadError } from '../errors';
import { type Float32Tensor, tensor } from '../tensor';
import { type GmmParams, precisionsCholeskyFromCovariances } from './gmm';
import { kmeansInertia, kmeansLabels, kmeansPlusPlus } from './kmeans';
import { seededRandom } from './random';

/**
 * Fits the velocity GMM the way anomalib does (scikit-learn `GaussianMixture(n_components,
 * covariance_type='full', random_state=0)`): a k-means run (k-means++ seeding, Lloyd) gives hard
 * responsibilities, then EM until the mean log-likelihood moves less than `tol`.
 * All arithmetic is float64; the result is rounded to float32, which is what density.safetensors holds.
 */
export interface GmmFitOptions {
  nComponents: number;
  /** Seed of our own PRNG (not numpy's stream: see random.ts). Default 0. */
  seed?: number;
  /** Added to every covariance diagonal (scikit-learn `reg_covar`). Default 1e-6. */
  regCovar?: number;
  /** EM stops when the mean log-likelihood changes less than this. Default 1e-3. */
  tol?: number;
  maxIter?: number;
  /**
   * k-means restarts; the labelling with the lowest inertia initialises EM. scikit-learn's
   * GaussianMixture runs a single k-means (n_init=1), which now and then lands in a poor local
   * optimum (on one golden bank, 1 seed in 10 ends 9 % below the usual log-likelihood); a few
   * restarts of the cheap k-means make the fit robust to the seed. Default 4.
   */
  kmeansInits?: number;
}

export interface GmmFitResult {
  params: GmmParams;
  /**
   * Components actually fitted: fewer than asked when the bank has fewer distinct rows than
   * `nComponents` (scikit-learn would refuse N < K and leave empty components otherwise; a
   * component per distinct point is the most a bank can support).
   */
  nComponents: number;
  converged: boolean;
  nIter: number;
  /** Mean log-likelihood of the bank at the last E-step (scikit-learn's `lower_bound_`). */
  lowerBound: number;
}

const EPS = 2.220446049250313e-16;

/** Checks a bank [N, D] and copies it to float64; NaN/Inf is refused naming the row. */
export function bankRowsToFloat64(bank: Float32Tensor, what: string): { x: Float64Array; n: number; d: number } {
  if (bank.shape.length !== 2) throw new VadError('bank_invalid', `${what} bank must be [N, D], got [${bank.shape.join(', ')}]`);
  const [n, d] = bank.shape as [number, number];
  if (n < 1 || d < 1) throw new VadError('bank_invalid', `${what} bank is empty ([${n}, ${d}]): fit on at least one clip with regions`);
  const x = new Float64Array(n * d);
  for (let i = 0; i < n * d; i++) {
    const v = bank.data[i];
    if (!Number.isFinite(v)) {
      const row = Math.floor(i / d);
      throw new VadError('bank_invalid', `${what} bank row ${row} holds ${v} (column ${i % d}): remove or recompute that training feature`, {
        row,
        column: i % d,
      });
    }
    x[i] = v;
  }
  return { x, n, d };
}

interface Mixture {
  k: number;
  weights: Float64Array;
  means: Float64Array;
  covariances: Float64Array;
  precisions: Float64Array;
}

/**
 * scikit-learn's `_estimate_gaussian_parameters` (+ `_compute_precision_cholesky`) from
 * responsibilities [N, K]. A covariance that is still not positive definite after `reg_covar`
 * (a bank at a scale where 1e-6 is below float precision) is regularised ×10 more, up to 8 times,
 * where scikit-learn would stop with "ill-defined empirical covariance".
 */
function mStep(x: Float64Array, n: number, d: number, resp: Float64Array, k: number, regCovar: number): Mixture {
  const nk = new Float64Array(k);
  const means = new Float64Array(k * d);
  for (let i = 0; i < n; i++) {
    for (let c = 0; c < k; c++) {
      const r = resp[i * k + c];
      if (r === 0) continue;
      nk[c] += r;
      for (let j = 0; j < d; j++) means[c * d + j] += r * x[i * d + j];
    }
  }
  for (let c = 0; c < k; c++) {
    nk[c] += 10 * EPS;
    for (let j = 0; j < d; j++) means[c * d + j] /= nk[c];
  }
  const covariances = new Float64Array(k * d * d);
  const diff = new Float64Array(d);
  for (let c = 0; c < k; c++) {
    const base = c * d * d;
    for (let i = 0; i < n; i++) {
      const r = resp[i * k + c];
      if (r === 0) continue;
      for (let j = 0; j < d; j++) diff[j] = x[i * d + j] - means[c * d + j];
      for (let a = 0; a < d; a++) {
        const ra = r * diff[a];
        for (let b = a; b < d; b++) covariances[base + a * d + b] += ra * diff[b];
      }
    }
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        const v = covariances[base + a * d + b] / nk[c];
        covariances[base + a * d + b] = v;
        covariances[base + b * d + a] = v;
      }
      covariances[base + a * d + a] += regCovar;
    }
  }
  let total = 0;
  for (let c = 0; c < k; c++) total += nk[c];
  const weights = nk.map((v) => v / total);

  const precisions = new Float64Array(k * d * d);
  for (let c = 0; c < k; c++) {
    const cov = covariances.subarray(c * d * d, (c + 1) * d * d);
    let extra = regCovar;
    for (let attempt = 0; ; attempt++) {
      const r = precisionsCholeskyFromCovariances(cov, 1, d);
      if ('precisions' in r) {
        precisions.set(r.precisions, c * d * d);
        break;
      }
      if (attempt === 8) {
        throw new VadError(
          'fit_failed',
          `velocity GMM: the covariance of component ${c} stays singular even with reg_covar ${extra.toExponential(1)}; check the velocity bank for constant or huge-valued features`,
        );
      }
      extra *= 10;
      for (let a = 0; a < d; a++) cov[a * d + a] += extra - extra / 10;
    }
  }
  return { k, weights, means, covariances, precisions };
}

/** E-step: fills resp [N, K] and returns the mean log-likelihood (scikit-learn's log_prob_norm). */
function eStep(x: Float64Array, n: number, d: number, m: Mixture, resp: Float64Array): number {
  const { k, weights, means, precisions } = m;
  const constants = new Float64Array(k);
  const meanProj = new Float64Array(k * d);
  for (let c = 0; c < k; c++) {
    let logDet = 0;
    for (let a = 0; a < d; a++) logDet += Math.log(precisions[c * d * d + a * d + a]);
    constants[c] = Math.log(weights[c]) + logDet - 0.5 * d * Math.log(2 * Math.PI);
    for (let b = 0; b < d; b++) {
      let s = 0;
      for (let a = 0; a <= b; a++) s += means[c * d + a] * precisions[c * d * d + a * d + b];
      meanProj[c * d + b] = s;
    }
  }
  let total = 0;
  for (let i = 0; i < n; i++) {
    let best = -Infinity;
    for (let c = 0; c < k; c++) {
      let sq = 0;
      for (let b = 0; b < d; b++) {
        let y = -meanProj[c * d + b];
        for (let a = 0; a <= b; a++) y += x[i * d + a] * precisions[c * d * d + a * d + b];
        sq += y * y;
      }
      const v = constants[c] - 0.5 * sq;
      resp[i * k + c] = v;
      if (v > best) best = v;
    }
    let sum = 0;
    for (let c = 0; c < k; c++) sum += Math.exp(resp[i * k + c] - best);
    const norm = best + Math.log(sum);
    for (let c = 0; c < k; c++) resp[i * k + c] = Math.exp(resp[i * k + c] - norm);
    total += norm;
  }
  return total / n;
}

export function fitGmm(bank: Float32Tensor, options: GmmFitOptions): GmmFitResult {
  const { x, n, d } = bankRowsToFloat64(bank, 'velocity');
  if (!Number.isInteger(options.nComponents) || options.nComponents < 1) {
    throw new VadError('bad_argument', `velocity GMM: n_components must be a positive integer, got ${options.nComponents}`);
  }
  const regCovar = options.regCovar ?? 1e-6;
  const tol = options.tol ?? 1e-3;
  const maxIter = options.maxIter ?? 100;
  const random = seededRandom(options.seed ?? 0);

  let labels: Int32Array = new Int32Array(0);
  let k = 0;
  let bestInertia = Infinity;
  for (let init = 0; init < Math.max(1, options.kmeansInits ?? 4); init++) {
    const centers = kmeansPlusPlus(x, n, d, Math.min(options.nComponents, n), random);
    const candidate = kmeansLabels(x, n, d, centers);
    const kc = centers.length / d;
    const inertia = kmeansInertia(x, n, d, candidate, kc);
    if (inertia < bestInertia) {
      bestInertia = inertia;
      labels = candidate;
      k = kc;
    }
  }
  const resp = new Float64Array(n * k);
  for (let i = 0; i < n; i++) resp[i * k + labels[i]] = 1;
  let mixture = mStep(x, n, d, resp, k, regCovar);

  let lowerBound = -Infinity;
  let converged = false;
  let nIter = 0;
  for (nIter = 1; nIter <= maxIter; nIter++) {
    const previous = lowerBound;
    lowerBound = eStep(x, n, d, mixture, resp);
    if (!Number.isFinite(lowerBound)) {
      throw new VadError('fit_failed', `velocity GMM: the log-likelihood became ${lowerBound} at EM iteration ${nIter}`);
    }
    mixture = mStep(x, n, d, resp, k, regCovar);
    if (Math.abs(lowerBound - previous) < tol) {
      converged = true;
      break;
    }
  }
  nIter = Math.min(nIter, maxIter);

  return {
    params: {
      weights: tensor('float32', Float32Array.from(mixture.weights), [k]),
      means: tensor('float32', Float32Array.from(mixture.means), [k, d]),
      covariances: tensor('float32', Float32Array.from(mixture.covariances), [k, d, d]),
      precisionsCholesky: tensor('float32', Float32Array.from(mixture.precisions), [k, d, d]),
    },
    nComponents: k,
    converged,
    nIter,
    lowerBound,
  };
}
