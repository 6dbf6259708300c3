import type { AttributeName } from '@vad/contracts';
import { VadError } from '../errors';
import type { Float32Tensor } from '../tensor';
import { type CombinedScores, combineAttributeScores } from './combined';
import type { DensityState } from './density-state';
import { type PreparedGmm, gmmRawScores, prepareGmm } from './gmm';
import { GroupedKnnEstimator, type KnnOptions, meanOverK } from './knn';
import { type MinMax, minMaxNormalize } from './normalize';

/** Features of a frame's M regions per enabled attribute ([M, B], [M, 34], [M, D]). */
export type RegionFeatures = Partial<Record<AttributeName, Float32Tensor>>;

export interface DensityScores extends CombinedScores {
  /** Raw scores per attribute: −log p for velocity, mean kNN distance for pose/appearance. */
  raw: Partial<Record<AttributeName, Float64Array>>;
  /** Min-max normalised scores per attribute: the region score's breakdown. */
  normalized: Partial<Record<AttributeName, Float64Array>>;
}

/** Stage ④ at inference: the state's estimators, built once (kNN sessions per bank), scoring frames. */
export interface DensityScorer {
  readonly attributes: readonly AttributeName[];
  score(features: RegionFeatures, regionCount: number): Promise<DensityScores>;
  release(): Promise<void>;
}

export type DensityScorerOptions = Pick<KnnOptions, 'threads' | 'executionProvider' | 'batchSize' | 'bankAs'>;

type Scorer = { norm: MinMax; raw: (x: Float32Tensor) => Promise<Float64Array> | Float64Array };

export async function createDensityScorer(state: DensityState, options: DensityScorerOptions = {}): Promise<DensityScorer> {
  const scorers = new Map<AttributeName, Scorer>();
  const knn: GroupedKnnEstimator[] = [];
  try {
    if (state.velocity) {
      const gmm: PreparedGmm = prepareGmm(state.velocity.gmm);
      scorers.set('velocity', { norm: state.velocity.norm, raw: (x) => gmmRawScores(gmm, x.data, x.shape[0] ?? 0) });
    }
    for (const attribute of ['pose', 'appearance'] as const) {
      const s = state[attribute];
      if (!s) continue;
      const estimator = await GroupedKnnEstimator.create(s.bank, s.group.data, s.k, { ...options, what: attribute });
      knn.push(estimator);
      scorers.set(attribute, { norm: s.norm, raw: async (x) => meanOverK(await estimator.kNearestDistances(x), s.k) });
    }
  } catch (e) {
    await Promise.all(knn.map((k) => k.release()));
    throw e;
  }
  if (scorers.size === 0) throw new VadError('no_attributes', 'the density state holds no fitted attribute');
  const attributes = [...scorers.keys()];

  return {
    attributes,
    async score(features, regionCount) {
      const raw: DensityScores['raw'] = {};
      const normalized: DensityScores['normalized'] = {};
      for (const [attribute, scorer] of scorers) {
        if (regionCount === 0) {
          raw[attribute] = new Float64Array(0);
          normalized[attribute] = new Float64Array(0);
          continue;
        }
        const x = features[attribute];
        if (!x) throw new VadError('internal', `density: ${attribute} is fitted but no ${attribute} features were computed`);
        if ((x.shape[0] ?? 0) !== regionCount) {
          throw new VadError('internal', `density: ${x.shape[0]} ${attribute} feature rows for ${regionCount} regions`);
        }
        raw[attribute] = await scorer.raw(x);
        normalized[attribute] = minMaxNormalize(raw[attribute], scorer.norm);
      }
      return { raw, normalized, ...combineAttributeScores(normalized, regionCount) };
    },
    async release() {
      await Promise.all(knn.map((k) => k.release()));
    },
  };
}
