import { VadError } from '../errors';
import type { Float32Tensor } from '../tensor';
import { type GmmParams, type PreparedGmm, gmmRawScores } from './gmm';
import { type GroupedKnnEstimator, meanOverK } from './knn';

/** Min and max of the raw training scores of one attribute (`<attr>.norm` in density.safetensors). */
export interface MinMax {
  min: number;
  max: number;
}

/**
 * AI-VAD's min-max normalisation (s − min)/(max − min). Scores outside [0, 1] are kept: a region
 * less or more typical than every training region is exactly what the score should show.
 *
 * Guard: when max == min (every training score equal, e.g. a bank of identical rows) anomalib would
 * divide by zero and return NaN/±Inf; we divide by 1 instead, so scores stay finite, are 0 at the
 * training value and still grow with the raw score.
 */
export function minMaxNormalize(raw: ArrayLike<number>, norm: MinMax): Float64Array {
  if (!Number.isFinite(norm.min) || !Number.isFinite(norm.max) || norm.max < norm.min) {
    throw new VadError('model_invalid', `normalisation statistics min ${norm.min}, max ${norm.max} are not a finite range; refit the model`);
  }
  const span = norm.max > norm.min ? norm.max - norm.min : 1;
  const out = new Float64Array(raw.length);
  for (let i = 0; i < raw.length; i++) out[i] = (raw[i] - norm.min) / span;
  return out;
}

/** Min and max of a list of values (NaN refused: it would poison every later score). */
export function minMaxOf(values: ArrayLike<number>, what: string): MinMax {
  if (values.length === 0) throw new VadError('bank_invalid', `${what}: no training scores to take min/max over`);
  let min = Infinity;
  let max = -Infinity;
  for (let i = 0; i < values.length; i++) {
    const v = values[i];
    if (Number.isNaN(v)) throw new VadError('bank_invalid', `${what}: training score ${i} is NaN`);
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return { min, max };
}

/** GMM statistics: min/max of −score_samples over every bank row (anomalib scores the bank itself). */
export function gmmBankMinMax(gmm: GmmParams | PreparedGmm, bank: Float32Tensor): MinMax {
  return minMaxOf(gmmRawScores(gmm, bank.data, bank.shape[0] ?? 0), 'velocity');
}

/**
 * Grouped kNN statistics: min/max over the leave-one-group-out distances of every bank row (all k
 * of them), each group scored against the bank without that group (anomalib v0.7–v1.x; v2 keeps
 * only the last group's max by mistake).
 */
export async function leaveOneGroupOutMinMax(estimator: GroupedKnnEstimator, what = 'kNN'): Promise<MinMax> {
  return minMaxOf(await estimator.leaveOneGroupOutDistances(), what);
}

/** Normalised kNN score: mean over the k distances of (d − min)/(max − min), i.e. of the mean distance. */
export function normalizeKnnDistances(distances: Float64Array, k: number, norm: MinMax): Float64Array {
  return minMaxNormalize(meanOverK(distances, k), norm);
}
