import { type AttributeName, anomalibConfigSections, isConfigRecord } from '@vad/contracts';
import type { Float32Tensor } from './tensor';

/**
 * What `fit` decides for the user and what it tells them: the density settings for the built-in
 * stages when the config leaves them out, whether the training set can be trusted, and the
 * threshold it proposes.
 */

/**
 * anomalib's class defaults (8 velocity bins, 5 components) were chosen for RAFT flow on detector
 * boxes. With the built-in flow and regions, held-out normal footage says otherwise: 8 bins split
 * one object's flow into mostly-empty directions and 5 full-covariance components over those
 * collapse onto single clips, so a held-out normal frame scored 4548 (frame AUROC 0.84 vs 0.93
 * with 1 bin / 2 components on the walkway footage). On this repo's held-out real footage
 * (bench:quality, vtest protocols A / B, fitted on each split's normal part, built-in regions) the
 * mixture size barely matters once there is one bin: 1 component 0.900 / 0.910, 2 components
 * 0.914 / 0.920, 3 components 0.917 / 0.921; two are kept as the smallest that models still-ish
 * and walking regions separately. One bin (mean speed) and two components generalise.
 */
export const BUILTIN_STAGE_FIT_DEFAULTS = { n_velocity_bins: 1, n_components_velocity: 2 } as const;

/** The built-in stages' defaults filled into `config` where it says nothing; which keys were filled. */
export function builtinStageDefaults(config: unknown, builtinFlow: boolean): { config: unknown; chosen: Record<string, number> } {
  if (!builtinFlow || (config !== undefined && config !== null && !isConfigRecord(config))) return { config, chosen: {} };
  const doc = structuredClone((config ?? {}) as Record<string, unknown>);
  if (!isConfigRecord(doc['model'])) doc['model'] = {};
  const { model } = anomalibConfigSections(doc); // a reference into doc
  const chosen: Record<string, number> = {};
  for (const [k, v] of Object.entries(BUILTIN_STAGE_FIT_DEFAULTS)) {
    if (model[k] === undefined) {
      model[k] = v;
      chosen[k] = v;
    }
  }
  return { config: doc, chosen };
}

/** Fewer training regions than this per attribute: the density (and its min/max) is a guess. */
export const MIN_TRAINING_REGIONS = 200;
/** A feature column whose standard deviation is below this is constant for the estimator. */
const NEAR_ZERO_STD = 1e-3;

/** Reasons not to trust a fit, one readable line each (empty: none found). */
export function trainingSetWarnings(features: Partial<Record<AttributeName, Float32Tensor>>, videos: number): string[] {
  const out: string[] = [];
  for (const [a, x] of Object.entries(features) as [AttributeName, Float32Tensor][]) {
    const [rows, dim] = [x.shape[0] ?? 0, x.shape[1] ?? 0];
    if (rows < MIN_TRAINING_REGIONS)
      out.push(`${a}: only ${rows} training regions (fewer than ${MIN_TRAINING_REGIONS}): too few to trust the density; fit on more or longer normal videos`);
    if (rows < 2 || dim === 0) continue;
    let constant = 0;
    for (let j = 0; j < dim; j++) {
      let s = 0;
      let s2 = 0;
      for (let i = 0; i < rows; i++) {
        const v = x.data[i * dim + j];
        s += v;
        s2 += v * v;
      }
      const mean = s / rows;
      if (Math.sqrt(Math.max(0, s2 / rows - mean * mean)) < NEAR_ZERO_STD) constant++;
    }
    if (constant === dim)
      out.push(`${a}: every training region has (nearly) the same features (std < ${NEAR_ZERO_STD}): the training set is too uniform to trust`);
  }
  if (videos < 2)
    out.push('one training video: kNN normalisation is leave-one-video-out and the threshold comes from the same frames; give two or more normal videos');
  return out;
}

/** The proposed threshold's quantile of the training frame scores: about 1 normal frame in 100 over it. */
export const THRESHOLD_QUANTILE = 0.99;

/** Linear-interpolated quantile (numpy's default) of `values`. */
export function quantile(values: ArrayLike<number>, q: number): number {
  const sorted = Float64Array.from(values).sort();
  if (sorted.length === 0) return Number.NaN;
  const pos = (sorted.length - 1) * q;
  const lo = Math.floor(pos);
  const hi = Math.min(sorted.length - 1, lo + 1);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (pos - lo);
}
