import { AiVadConfigSchema, type AiVadConfig, anomalibConfigSections, isAiVadClassPath, isConfigRecord } from '@vad/contracts';
import { VadError } from '@vad/core';
import { parse as parseYaml } from 'yaml';

/**
 * anomalib configs → our config.yaml (AiVadConfigSchema). Users ship whole anomalib configs
 * (dataset paths, trainer, metrics, logging); a model keeps only what changes its scores, so a
 * packed model does not carry someone's local paths. v0.7 writes `model:` and `dataset:` flat;
 * v1's CLI configs nest them as `model.init_args` and `data.init_args`.
 */
const DATASET_KEYS = ['image_size', 'clip_length_in_frames', 'normalization'] as const;

/** AI-VAD's constructor arguments (anomalib `AiVad.__init__`), as saved in hyper_parameters. */
export const AI_VAD_MODEL_KEYS = [
  'box_score_thresh',
  'persons_only',
  'min_bbox_area',
  'max_bbox_overlap',
  'enable_foreground_detections',
  'foreground_kernel_size',
  'foreground_binary_threshold',
  'n_velocity_bins',
  'use_velocity_features',
  'use_pose_features',
  'use_deep_features',
  'n_components_velocity',
  'n_neighbors_pose',
  'n_neighbors_deep',
] as const;

export interface MappedConfig {
  /** A plain object that AiVadConfigSchema accepts (written as config.yaml). */
  readonly config: { dataset: Record<string, unknown>; model: Record<string, unknown> };
  readonly parsed: AiVadConfig;
  /** Keys of the source that were left out (top-level sections and dataset keys). */
  readonly ignored: string[];
}

function pick(from: Record<string, unknown>, keys: readonly string[]): Record<string, unknown> {
  return Object.fromEntries(keys.filter((k) => from[k] !== undefined).map((k) => [k, from[k]]));
}

export function validateMapped(dataset: Record<string, unknown>, model: Record<string, unknown>, ignored: string[], source: string): MappedConfig {
  const config = { dataset, model: { name: 'ai_vad', ...model } };
  const parsed = AiVadConfigSchema.safeParse(config);
  if (!parsed.success) {
    throw new VadError('config_invalid', `${source}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { file: source });
  }
  if (parsed.data.model.name !== 'ai_vad')
    throw new VadError('unsupported_format', `${source} configures anomalib model "${parsed.data.model.name}", not ai_vad`, { file: source });
  return { config, parsed: parsed.data, ignored };
}

/** An anomalib config.yaml (v0.7 flat, or v1 `init_args`) → our config. */
export function configFromAnomalibYaml(text: string, source: string): MappedConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new VadError('config_invalid', `${source} is not YAML: ${(e as Error).message}`, { file: source });
  }
  if (!isConfigRecord(doc))
    throw new VadError('config_invalid', `${source} is not an anomalib config (expected model: and dataset: sections)`, { file: source });
  const { dataset: data, model, classPath, otherSections } = anomalibConfigSections(doc);
  if (!isAiVadClassPath(classPath)) throw new VadError('unsupported_format', `${source} configures ${classPath}, not anomalib's AiVad`, { file: source });
  const ignored = [
    ...otherSections,
    ...Object.keys(data)
      .filter((k) => !(DATASET_KEYS as readonly string[]).includes(k))
      .map((k) => `dataset.${k}`),
  ];
  const modelKeys = Object.keys(model).filter((k) => k === 'name' || k === 'knn_neighbors_from' || (AI_VAD_MODEL_KEYS as readonly string[]).includes(k));
  return validateMapped(pick(data, DATASET_KEYS), pick(model, modelKeys), ignored, source);
}

/** Lightning's hyper_parameters (a dict of AiVad's constructor arguments), when it is a plain dict. */
export function modelConfigFromHyperParameters(hp: unknown): Record<string, unknown> | undefined {
  if (!(hp instanceof Map)) return undefined;
  const out: Record<string, unknown> = {};
  for (const k of AI_VAD_MODEL_KEYS) {
    const v = hp.get(k);
    if (typeof v === 'number' || typeof v === 'boolean') out[k] = v;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}
