import {
  type AiVadConfig,
  AiVadConfigSchema,
  type AttributeName,
  anomalibConfigSections,
  enabledAttributes,
  isAiVadClassPath,
  isConfigRecord,
} from '@vad/contracts';
import type { Threshold } from '@vad/contracts';
import { type RegionFeatures, createDensityScorer } from './density/density-scorer';
import { type DensityState, type TrainingFeatures, fitDensityState } from './density/density-state';
import { THRESHOLD_QUANTILE, quantile, trainingSetWarnings } from './fit-report';
import { VadError } from './errors';
import { BUILTIN_FLOW_NAME, parseBuiltinFlowParams } from './flow/builtin-flow';
import { BUILTIN_REGIONS_NAME, DEFAULT_MOTION_REGION_PARAMS, parseMotionRegionParams } from './regions/motion-regions';
import { densityToTensors } from './model/density-io';
import type { ModelDirReport } from './model/verify-model-dir';
import { assertWritableTarget, writeModelDir } from './model/write-model-dir';
import { FeatureExtractor, type StageSource, type StageSources, noRegionScore } from './pipeline';
import type { LoadOptions, PreparedFrame } from './pipeline-types';
import { type Float32Tensor, tensor } from './tensor';

/**
 * Fitting (ai-vad-spec.md, "Fitting"): run stages 1–3 over every clip (t−1, t) of normal videos,
 * collect each attribute's features with the video as group, fit the estimators, write a model dir.
 */
export interface FitVideo {
  /** Group name (the video id); leave-one-group-out normalisation works per video. */
  readonly id: string;
  readonly frameCount: number;
  /** Frame i, decoded and resized to the config's image_size; read lazily so a video need not fit in memory. */
  frame(index: number): Promise<PreparedFrame>;
}

export interface FitStages {
  /** regions.onnx; absent → foreground detections only. */
  regions?: string | Uint8Array;
  /** flow.onnx; absent → the built-in flow with `builtinFlowParams`. */
  flow?: string | Uint8Array;
  pose?: string | Uint8Array;
  appearance?: string | Uint8Array;
  builtinFlowParams?: Record<string, unknown>;
  /**
   * Absent `regions`: the built-in region proposals (BUILTIN_REGIONS_NAME) with these params over
   * DEFAULT_MOTION_REGION_PARAMS (so a partial set still gets the current velocity variant), or,
   * when this is false/absent, anomalib's foreground step alone (stages.regions null).
   */
  builtinRegions?: Record<string, unknown> | false;
}

export interface FitProgress {
  video: string;
  clip: number;
  clips: number;
  regions: number;
}

export interface FitOptions extends LoadOptions {
  /** anomalib-style config (dataset:, model:); missing keys take anomalib's defaults. */
  config: unknown;
  videos: readonly FitVideo[];
  stages?: FitStages;
  name: string;
  outDir: string;
  overwrite?: boolean;
  /** GMM k-means++ seed (default 0, as anomalib's random_state). */
  seed?: number;
  /** Fixed createdAt, for byte-identical rebuilds. */
  createdAt?: Date;
  sourceKind?: 'fit' | 'builtin-default';
  onProgress?: (p: FitProgress) => void;
}

export interface FitResult {
  readonly report: ModelDirReport;
  readonly density: DensityState;
  readonly clips: number;
  readonly rows: Partial<Record<AttributeName, number>>;
  /** Why the fit may not be trustworthy (too few regions, too uniform, one video); empty when none. */
  readonly warnings: readonly string[];
  /** The proposed threshold, also recorded in the manifest. */
  readonly threshold: Threshold;
}

/**
 * An anomalib config (v0.7 flat `model:`/`dataset:`, or v1/v2 `model.init_args`/`data.init_args`)
 * as AI-VAD's settings, anomalib's defaults filled in. Sections AI-VAD does not read (trainer,
 * logging, …) are dropped, so a fitted model does not carry them.
 */
export function parseConfig(config: unknown): AiVadConfig {
  const doc = config ?? {};
  if (!isConfigRecord(doc)) throw new VadError('config_invalid', 'config: expected a mapping with model: and dataset: sections');
  const { dataset, model, classPath } = anomalibConfigSections(doc);
  if (!isAiVadClassPath(classPath)) throw new VadError('unsupported_format', `config: model.class_path is ${classPath}, not anomalib's AiVad`);
  const parsed = AiVadConfigSchema.safeParse({ dataset, model });
  if (!parsed.success) {
    throw new VadError('config_invalid', `config: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`).join('; ')}`);
  }
  return parsed.data;
}

/** The attributes that need a network of their own, and the config key that turns each on. */
const NETWORK_ATTRIBUTES = [
  { attribute: 'pose', key: 'use_pose_features', stage: 'pose' },
  { attribute: 'appearance', key: 'use_deep_features', stage: 'appearance' },
] as const satisfies readonly { attribute: AttributeName; key: string; stage: keyof FitStages }[];

/**
 * anomalib turns every attribute on by default, but pose and appearance need networks the user
 * exports (tools/onnx-export). For a fit from the built-in stages the useful default is: an
 * attribute the config does not mention is on only when its network is given. Explicit settings
 * are kept (and fitModel refuses an explicit `true` without the network).
 */
export function attributesForStages(config: unknown, stages: FitStages = {}): { config: unknown; off: AttributeName[] } {
  if (config !== undefined && config !== null && !isConfigRecord(config)) return { config, off: [] };
  const doc = structuredClone((config ?? {}) as Record<string, unknown>);
  if (!isConfigRecord(doc['model'])) doc['model'] = {};
  const { model } = anomalibConfigSections(doc); // a reference into doc: model: or model.init_args
  const off: AttributeName[] = [];
  for (const n of NETWORK_ATTRIBUTES) {
    if (model[n.key] === undefined && stages[n.stage] === undefined) {
      model[n.key] = false;
      off.push(n.attribute);
    }
  }
  return { config: doc, off };
}

function requireNetworks(config: AiVadConfig, stages: FitStages = {}): void {
  const model = config.model as Record<string, unknown>;
  for (const n of NETWORK_ATTRIBUTES) {
    if (model[n.key] === true && stages[n.stage] === undefined) {
      throw new VadError(
        'config_invalid',
        `${n.attribute} features are on (model.${n.key}) but no ${n.stage} network was given: pass one (vad-core fit --${n.stage} ${n.stage}.onnx, exported by tools/onnx-export) or set model.${n.key}: false`,
      );
    }
  }
}

export function fitStageSources(stages: FitStages = {}): StageSources {
  const onnx = (m: string | Uint8Array | undefined): StageSource => (m === undefined ? null : { kind: 'onnx', model: m });
  return {
    regions:
      stages.regions !== undefined || !stages.builtinRegions
        ? onnx(stages.regions)
        : { kind: 'builtin', name: BUILTIN_REGIONS_NAME, params: parseMotionRegionParams({ ...DEFAULT_MOTION_REGION_PARAMS, ...stages.builtinRegions }) },
    flow:
      stages.flow !== undefined
        ? onnx(stages.flow) // The manifest records every parameter (defaults filled in), so a later change of defaults
        : // can never pair this bank with another flow.
          { kind: 'builtin', name: BUILTIN_FLOW_NAME, params: { ...parseBuiltinFlowParams(stages.builtinFlowParams ?? {}) } },
    pose: onnx(stages.pose),
    appearance: onnx(stages.appearance),
  };
}

/** Growing row storage for one attribute's features. */
class FeatureRows {
  private chunks: Float32Array[] = [];
  private groups: number[] = [];
  private dim = -1;
  rows = 0;

  push(x: Float32Tensor, group: number): void {
    const m = x.shape[0] ?? 0;
    if (m === 0) return;
    const d = x.shape[1] ?? 0;
    if (this.dim >= 0 && d !== this.dim) throw new VadError('fit_failed', `feature width changed from ${this.dim} to ${d} between clips`);
    this.dim = d;
    this.chunks.push(Float32Array.from(x.data));
    for (let i = 0; i < m; i++) this.groups.push(group);
    this.rows += m;
  }

  toTraining(): { features: Float32Tensor; group: Int32Array } {
    const data = new Float32Array(this.rows * Math.max(this.dim, 0));
    let o = 0;
    for (const c of this.chunks) {
      data.set(c, o);
      o += c.length;
    }
    return { features: tensor('float32', data, [this.rows, Math.max(this.dim, 0)]), group: Int32Array.from(this.groups) };
  }
}

export async function fitModel(opts: FitOptions): Promise<FitResult> {
  const config = parseConfig(opts.config);
  const enabled = enabledAttributes(config.model);
  if (opts.videos.length === 0) throw new VadError('fit_failed', 'no training videos given: pass at least one folder of normal frames');
  const ids = new Set<string>();
  for (const v of opts.videos) {
    if (ids.has(v.id)) throw new VadError('fit_failed', `two training videos are both named "${v.id}": video ids must be unique (they are the kNN groups)`);
    ids.add(v.id);
    if (v.frameCount < 2) throw new VadError('fit_failed', `training video "${v.id}" has ${v.frameCount} frame(s): a clip needs two`);
  }
  requireNetworks(config, opts.stages);
  await assertWritableTarget(opts.outDir, { overwrite: opts.overwrite });
  const sources = fitStageSources(opts.stages);
  const extractor = await FeatureExtractor.open(sources, config, enabled, opts);
  const rows: Partial<Record<AttributeName, FeatureRows>> = {};
  for (const a of enabled) rows[a] = new FeatureRows();
  let clips = 0;
  // Every clip's features, to score the training frames once the density is fitted (the threshold).
  const perClip: { features: RegionFeatures; count: number; motionPixels?: number }[] = [];
  try {
    for (const [group, video] of opts.videos.entries()) {
      let previous = await video.frame(0);
      for (let i = 1; i < video.frameCount; i++) {
        const current = await video.frame(i);
        const { features, regions, motionPixels } = await extractor.extract(previous, current);
        for (const a of enabled) if (features[a]) rows[a]!.push(features[a]!, group);
        perClip.push({ features, count: regions.count, motionPixels });
        clips++;
        opts.onProgress?.({ video: video.id, clip: i, clips: video.frameCount - 1, regions: regions.count });
        previous = current;
      }
    }
  } finally {
    await extractor.close();
  }
  const training: TrainingFeatures = { groups: opts.videos.map((v) => v.id) };
  for (const a of enabled) training[a] = rows[a]!.toTraining();
  const warnings = trainingSetWarnings(Object.fromEntries(enabled.map((a) => [a, training[a]!.features])), opts.videos.length);
  const density = await fitDensityState(training, config.model, { seed: opts.seed ?? 0, threads: opts.threads, executionProvider: opts.executionProvider });
  const threshold = await proposeThreshold(density, perClip, enabled.length, opts);
  const report = await writeModelDir(
    {
      name: opts.name,
      config: config as unknown as Record<string, unknown>,
      density: densityToTensors(density),
      stages: sources,
      source: {
        kind: opts.sourceKind ?? 'fit',
        details: {
          videos: opts.videos.map((v) => ({ id: v.id, frames: v.frameCount })),
          clips,
          rows: Object.fromEntries(enabled.map((a) => [a, rows[a]!.rows])),
          seed: opts.seed ?? 0,
        },
      },
      createdAt: opts.createdAt,
      threshold,
    },
    opts.outDir,
    { overwrite: opts.overwrite },
  );
  return { report, density, clips, rows: Object.fromEntries(enabled.map((a) => [a, rows[a]!.rows])), warnings, threshold };
}

/**
 * The THRESHOLD_QUANTILE of the training frames' own scores, each frame scored as the pipeline
 * scores it (frame score, or the no-region score). In-sample, so a little optimistic: on later
 * normal footage expect somewhat more than 1 % of frames over it.
 */
async function proposeThreshold(
  density: DensityState,
  clips: readonly { features: RegionFeatures; count: number; motionPixels?: number }[],
  attributes: number,
  opts: LoadOptions,
): Promise<Threshold> {
  const scorer = await createDensityScorer(density, { threads: opts.threads ?? 1, executionProvider: opts.executionProvider ?? 'cpu' });
  const scores: number[] = [];
  try {
    for (const c of clips) scores.push(c.count > 0 ? (await scorer.score(c.features, c.count)).frameScore : noRegionScore(attributes, c.motionPixels));
  } finally {
    await scorer.release();
  }
  return { value: quantile(scores, THRESHOLD_QUANTILE), quantile: THRESHOLD_QUANTILE, frames: scores.length, from: 'training-frames' };
}
