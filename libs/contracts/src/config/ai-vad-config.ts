import { z } from 'zod';

/**
 * The anomalib v0.7 `config.yaml` keys AI-VAD reads (ai-vad-spec.md, "Configuration keys").
 * Missing keys take anomalib's class defaults; unknown keys are kept, since users ship whole
 * anomalib configs.
 */
const imageSize = z
  .union([z.number().int().positive(), z.tuple([z.number().int().positive(), z.number().int().positive()])])
  .transform((v): [number, number] => (typeof v === 'number' ? [v, v] : v));

export const AiVadModelConfigSchema = z
  .object({
    name: z.string().default('ai_vad'),
    box_score_thresh: z.number().min(0).max(1).default(0.8),
    persons_only: z.boolean().default(false),
    min_bbox_area: z.number().min(0).default(100),
    max_bbox_overlap: z.number().min(0).default(0.65),
    enable_foreground_detections: z.boolean().default(true),
    foreground_kernel_size: z
      .number()
      .int()
      .positive()
      .refine((k) => k % 2 === 1, 'must be odd')
      .default(3),
    foreground_binary_threshold: z.number().min(0).max(255).default(18),
    n_velocity_bins: z.number().int().positive().default(8),
    use_velocity_features: z.boolean().default(true),
    use_pose_features: z.boolean().default(true),
    use_deep_features: z.boolean().default(true),
    n_components_velocity: z.number().int().positive().default(5),
    n_neighbors_pose: z.number().int().positive().default(1),
    n_neighbors_deep: z.number().int().positive().default(1),
    /**
     * anomalib v0.7 ignores n_neighbors_* (a default argument shadows them) and always uses k = 1.
     * `anomalib` reproduces that; `config` honours n_neighbors_pose / n_neighbors_deep.
     */
    knn_neighbors_from: z.enum(['anomalib', 'config']).default('anomalib'),
  })
  .loose();

export const AiVadDatasetConfigSchema = z
  .object({
    image_size: imageSize.default([240, 360]),
    clip_length_in_frames: z.number().int().min(2).default(2),
    normalization: z.string().default('none'),
  })
  .loose();

export const AiVadConfigSchema = z
  .object({
    dataset: AiVadDatasetConfigSchema.default(AiVadDatasetConfigSchema.parse({})),
    model: AiVadModelConfigSchema.default(AiVadModelConfigSchema.parse({})),
  })
  .loose();

export type AiVadConfig = z.infer<typeof AiVadConfigSchema>;
export type AiVadModelConfig = z.infer<typeof AiVadModelConfigSchema>;

export type AttributeName = 'velocity' | 'pose' | 'appearance';
export const ATTRIBUTES: readonly AttributeName[] = ['velocity', 'pose', 'appearance'];

export function enabledAttributes(model: AiVadModelConfig): AttributeName[] {
  const out: AttributeName[] = [];
  if (model.use_velocity_features) out.push('velocity');
  if (model.use_pose_features) out.push('pose');
  if (model.use_deep_features) out.push('appearance');
  return out;
}

/** k actually used by the grouped kNN of an attribute (see `knn_neighbors_from`). */
export function neighboursFor(model: AiVadModelConfig, attribute: 'pose' | 'appearance'): number {
  if (model.knn_neighbors_from === 'anomalib') return 1;
  return attribute === 'pose' ? model.n_neighbors_pose : model.n_neighbors_deep;
}
