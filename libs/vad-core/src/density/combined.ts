import type { AttributeName } from '@vad/contracts';
import { VadError } from '../errors';

/** Normalised scores per enabled attribute, one value per region (all the same length). */
export type AttributeScores = Partial<Record<AttributeName, ArrayLike<number>>>;

export interface CombinedScores {
  /** [M] sum over enabled attributes of the region's normalised scores. */
  regionScores: Float64Array;
  /**
   * Sum over enabled attributes of the max normalised score over regions (anomalib sums per-attribute
   * maxima, which need not come from the same region). 0 for a frame without regions, where
   * anomalib itself would fail on an empty max.
   */
  frameScore: number;
}

export function combineAttributeScores(scores: AttributeScores, regionCount: number): CombinedScores {
  const regionScores = new Float64Array(regionCount);
  let frameScore = 0;
  for (const [attribute, values] of Object.entries(scores) as [AttributeName, ArrayLike<number>][]) {
    if (values.length !== regionCount) {
      throw new VadError('internal', `${attribute}: ${values.length} scores for ${regionCount} regions`);
    }
    if (regionCount === 0) continue;
    let max = -Infinity;
    for (let r = 0; r < regionCount; r++) {
      regionScores[r] += values[r];
      if (values[r] > max) max = values[r];
    }
    frameScore += max;
  }
  return { regionScores, frameScore };
}
