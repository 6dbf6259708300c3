import type { AttributeName } from '@vad/contracts';
import { createDensityScorer, type RegionFeatures } from '../../density/density-scorer';
import type { DensityState, KnnDensity } from '../../density/density-state';
import { tensor } from '../../tensor';
import { type Comparison, type GoldenCase, compareArrays, compareNumber, goldenFloat32, goldenInt32, goldenNumber } from '../golden-case';

type Input = Record<string, unknown>;

function knnDensity(a: Input, what: string): KnnDensity {
  const group = goldenInt32(a['group'], `${what}.group`).data;
  return {
    bank: goldenFloat32(a['bank'], `${what}.bank`),
    group: tensor('int32', group, [group.length]),
    norm: { min: goldenNumber(a['min'], `${what}.min`), max: goldenNumber(a['max'], `${what}.max`) },
    // The golden vectors follow anomalib v0.7, which uses k = 1 whatever the config says.
    k: 1,
  };
}

/** `combined`: the inference-side density scorer built from the given estimators and min/max. */
export async function evaluateCombined(c: GoldenCase): Promise<Comparison[]> {
  const use: Record<AttributeName, boolean> = {
    velocity: c.params['use_velocity'] === true,
    pose: c.params['use_pose'] === true,
    appearance: c.params['use_appearance'] === true,
  };
  const state: DensityState = { groups: [] };
  const features: RegionFeatures = {};
  let regions = 0;
  for (const attribute of ['velocity', 'pose', 'appearance'] as const) {
    if (!use[attribute]) continue;
    const a = c.inputs[attribute] as Input;
    features[attribute] = goldenFloat32(a['features'], `${attribute}.features`);
    regions = features[attribute].shape[0];
    if (attribute === 'velocity') {
      const g = a['gmm'] as Input;
      state.velocity = {
        gmm: {
          weights: goldenFloat32(g['weights'], 'weights'),
          means: goldenFloat32(g['means'], 'means'),
          covariances: goldenFloat32(g['covariances'], 'covariances'),
          precisionsCholesky: g['precisions_cholesky'] ? goldenFloat32(g['precisions_cholesky'], 'precisions_cholesky') : undefined,
        },
        norm: { min: goldenNumber(a['min'], 'velocity.min'), max: goldenNumber(a['max'], 'velocity.max') },
      };
    } else {
      state[attribute] = knnDensity(a, attribute);
    }
  }
  const scorer = await createDensityScorer(state);
  try {
    const s = await scorer.score(features, regions);
    const out: Comparison[] = [];
    for (const attribute of scorer.attributes) {
      out.push(compareArrays(attribute, s.normalized[attribute] as Float64Array, [regions], c.expected[attribute], c.tolerance));
    }
    out.push(
      compareArrays('region_scores', s.regionScores, [regions], c.expected['region_scores'], c.tolerance),
      compareNumber('image_score', s.frameScore, c.expected['image_score'], c.tolerance),
    );
    return out;
  } finally {
    await scorer.release();
  }
}
