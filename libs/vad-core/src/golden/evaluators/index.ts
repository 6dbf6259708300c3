import type { Comparison, GoldenCase } from '../golden-case';
import { evaluateCombined } from './combined';
import { evaluateForeground } from './foreground';
import { evaluateGmm } from './gmm';
import { evaluateKnnGrouped } from './knn-grouped';
import { evaluatePoseFeatures } from './pose-features';
import { evaluateRegionPostprocess } from './region-postprocess';
import { evaluateResize } from './resize';
import { evaluateRoiAlign } from './roi-align';
import { evaluateVelocityFeatures } from './velocity-features';

export type Evaluator = (c: GoldenCase) => Comparison[] | Promise<Comparison[]>;

/** One evaluator per golden `kind` (shared/golden/README.md). */
export const EVALUATORS: Record<string, Evaluator> = {
  resize: evaluateResize,
  roi_align: evaluateRoiAlign,
  velocity_features: evaluateVelocityFeatures,
  pose_features: evaluatePoseFeatures,
  foreground: evaluateForeground,
  region_postprocess: evaluateRegionPostprocess,
  knn_grouped: evaluateKnnGrouped,
  gmm: evaluateGmm,
  combined: evaluateCombined,
};
