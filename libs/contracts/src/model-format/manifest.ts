import { z } from 'zod';

/** model-format.md: what `model.tar.gz` holds. */
export const MODEL_FORMAT_VERSION = 1;

/** model-format.md: the files a model directory always has. */
export const MANIFEST_FILE = 'manifest.json';
export const CONFIG_FILE = 'config.yaml';
export const DENSITY_FILE = 'density.safetensors';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'a lowercase hex sha256');
const relPath = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith('/') && !p.split('/').includes('..') && !p.includes('\\'), 'a relative path without ..');

export const OnnxStageSchema = z.object({ kind: z.literal('onnx'), file: relPath, sha256 });
export const BuiltinStageSchema = z.object({
  kind: z.literal('builtin'),
  name: z.string().min(1),
  params: z.record(z.string(), z.unknown()).default({}),
});
export const StageSchema = z.discriminatedUnion('kind', [OnnxStageSchema, BuiltinStageSchema]);

export const StagesSchema = z.object({
  /** null: regions come from foreground detection only. */
  regions: StageSchema.nullable(),
  flow: StageSchema.nullable(),
  pose: StageSchema.nullable(),
  appearance: StageSchema.nullable(),
});

export const STAGE_FILES = {
  regions: 'onnx/regions.onnx',
  flow: 'onnx/flow.onnx',
  pose: 'onnx/pose.onnx',
  appearance: 'onnx/appearance.onnx',
} as const;
export type StageName = keyof typeof STAGE_FILES;

/**
 * A frame-score threshold proposed by `vad-core fit`: the `quantile` of the training videos' own
 * frame scores. Optional: imported anomalib models have none.
 */
export const ThresholdSchema = z.object({
  value: z.number(),
  quantile: z.number().gt(0).lt(1),
  /** Frame scores it was taken from. */
  frames: z.number().int().positive(),
  from: z.literal('training-frames'),
});

export const ManifestSchema = z.object({
  formatVersion: z.literal(MODEL_FORMAT_VERSION),
  name: z.string().min(1).max(200),
  createdAt: z.string(),
  createdBy: z.string(),
  imageSize: z.tuple([z.number().int().positive(), z.number().int().positive()]),
  stages: StagesSchema,
  files: z.record(relPath, sha256),
  source: z.object({
    kind: z.enum(['anomalib-ckpt', 'anomalib-seed-files', 'fit', 'builtin-default']),
    details: z.record(z.string(), z.unknown()).default({}),
  }),
  threshold: ThresholdSchema.optional(),
});

export type Manifest = z.infer<typeof ManifestSchema>;
export type Stage = z.infer<typeof StageSchema>;
export type Threshold = z.infer<typeof ThresholdSchema>;
export type OnnxStage = z.infer<typeof OnnxStageSchema>;
export type BuiltinStage = z.infer<typeof BuiltinStageSchema>;
