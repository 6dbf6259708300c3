import { type AiVadModelConfig, type AttributeName, enabledAttributes, neighboursFor } from '@vad/contracts';
import { VadError } from '../errors';
import { type Float32Tensor, type Tensor, tensor } from '../tensor';
import type { GmmParams } from './gmm';
import { fitGmm } from './gmm-fit';
import { GroupedKnnEstimator, type KnnOptions } from './knn';
import { type MinMax, gmmBankMinMax, leaveOneGroupOutMinMax } from './normalize';

/**
 * The fitted estimators of a model, in memory: plain typed arrays + shapes, one field per tensor
 * of density.safetensors (DENSITY_TENSORS in @vad/contracts); an attribute is present iff enabled.
 */
export interface VelocityDensity {
  gmm: GmmParams;
  norm: MinMax;
  /** [N, B] training features (optional in the file; lets the model be refitted). */
  bank?: Float32Tensor;
}

export interface KnnDensity {
  /** [N, D] training features. */
  bank: Float32Tensor;
  /** [N] group (video) index of each row into DensityState.groups. */
  group: Tensor<'int32'>;
  norm: MinMax;
  /** Neighbours used (metadata k_pose / k_appearance). */
  k: number;
}

export interface DensityState {
  velocity?: VelocityDensity;
  pose?: KnnDensity;
  appearance?: KnnDensity;
  /** Group (video) names; the index is the group id. */
  groups: string[];
}

/** Training features of one attribute: rows [N, D] and the group id of each row. */
export interface AttributeTrainingFeatures {
  features: Float32Tensor;
  group: Int32Array;
}

export interface TrainingFeatures {
  /** Group (video) names; `group` ids index this list. */
  groups: readonly string[];
  velocity?: AttributeTrainingFeatures;
  pose?: AttributeTrainingFeatures;
  appearance?: AttributeTrainingFeatures;
}

export interface FitDensityOptions extends Pick<KnnOptions, 'threads' | 'executionProvider' | 'batchSize'> {
  /** Seed of the GMM's k-means++ (default 0, anomalib's random_state). */
  seed?: number;
  /** Keep the velocity bank in the state (default true). */
  keepVelocityBank?: boolean;
}

function training(t: TrainingFeatures, attribute: AttributeName): AttributeTrainingFeatures {
  const a = t[attribute];
  if (!a || (a.features.shape[0] ?? 0) === 0) {
    throw new VadError(
      'bank_invalid',
      `${attribute} is enabled but no ${attribute} features were collected from the training clips (no regions found?): check the clips or disable the attribute`,
    );
  }
  for (let r = 0; r < a.group.length; r++) {
    if (a.group[r] < 0 || a.group[r] >= t.groups.length || !Number.isInteger(a.group[r])) {
      throw new VadError('bank_invalid', `${attribute}: row ${r} has group id ${a.group[r]}, but there are ${t.groups.length} group names`);
    }
  }
  return a;
}

/**
 * Fits every enabled attribute's estimator on normal training features and computes its
 * normalisation statistics (ai-vad-spec.md, "Fitting"): the velocity GMM scored on its own bank,
 * each kNN bank leave-one-video-out. Deterministic given the seed.
 */
export async function fitDensityState(t: TrainingFeatures, model: AiVadModelConfig, options: FitDensityOptions = {}): Promise<DensityState> {
  const attributes = enabledAttributes(model);
  if (attributes.length === 0) {
    throw new VadError('no_attributes', 'no attribute is enabled: set at least one of use_velocity_features, use_pose_features, use_deep_features');
  }
  const state: DensityState = { groups: [...t.groups] };
  for (const attribute of attributes) {
    const { features, group } = training(t, attribute);
    if (attribute === 'velocity') {
      const rows = features.shape[0] ?? 0;
      // scikit-learn (anomalib) refuses n_samples < n_components; a quietly smaller mixture would
      // be a different model from the one the config asks for.
      if (rows < model.n_components_velocity) {
        throw new VadError(
          'bank_invalid',
          `velocity: ${rows} training region(s) for n_components_velocity = ${model.n_components_velocity}: fit on more or longer normal videos, or lower n_components_velocity`,
        );
      }
      const fitted = fitGmm(features, { nComponents: model.n_components_velocity, seed: options.seed ?? 0 });
      state.velocity = {
        gmm: fitted.params,
        norm: gmmBankMinMax(fitted.params, features),
        ...(options.keepVelocityBank === false ? {} : { bank: features }),
      };
      continue;
    }
    const k = neighboursFor(model, attribute);
    const estimator = await GroupedKnnEstimator.create(features, group, k, { ...options, what: attribute });
    try {
      state[attribute] = {
        bank: features,
        group: tensor('int32', group, [group.length]),
        norm: await leaveOneGroupOutMinMax(estimator, attribute),
        k,
      };
    } finally {
      await estimator.release();
    }
  }
  return state;
}
