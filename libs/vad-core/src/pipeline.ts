import { join } from 'node:path';
import type { AiVadConfig, AttributeName, Manifest, Stage, StageName } from '@vad/contracts';
import { type DensityScorer, type RegionFeatures, createDensityScorer } from './density/density-scorer';
import { VadError } from './errors';
import { type AppearanceModel, createAppearanceModel } from './features/appearance';
import { type PoseModel, createPoseModel } from './features/pose-model';
import { poseFeatures } from './features/pose';
import { velocityFeatures } from './features/velocity';
import { movingVelocityFeatures } from './features/moving-velocity';
import { matchedSpeeds } from './features/matched-speed';
import { BUILTIN_FLOW_NAME, loadBuiltinFlow } from './flow/builtin-flow';
import { createOnnxFlow } from './flow/onnx-flow';
import { assertSameSize } from './frames/clip';
import { loadModelFiles } from './model/load-model-dir';
import type { ClipScore, LoadOptions, PreparedFrame, RegionScore, StageProvider } from './pipeline-types';
import { type Detections, type ObjectDetector, createObjectDetector } from './regions/detector';
import { foregroundDetections } from './regions/foreground';
import { BUILTIN_REGIONS_NAME, type MotionRegionParams, motionRegions, parseMotionRegionParams, velocityWidth } from './regions/motion-regions';
import { postprocessRegions } from './regions/postprocess';
import { type Regions, concatRegions, regionsFromDetections, selectRegions } from './regions/regions';
import { describeProviders, type ProviderReport } from './runtime/providers';
import { type Boxes, type Float32Tensor, appendColumn, tensor } from './tensor';

/**
 * AI-VAD inference, clip → regions + flow → features → density → scores (ai-vad-spec.md). The only
 * file that knows the order of the stages; each stage is a pure function or a runner over tensors.
 */
export interface VadModel {
  readonly name: string;
  /** sha256 of manifest.json (which lists every file's digest). */
  readonly sha256: string;
  readonly imageSize: [number, number];
  readonly manifest: Manifest;
  readonly config: AiVadConfig;
  readonly enabled: AttributeName[];
  readonly providers: Record<StageName, StageProvider>;
  /** One line for start-up logs: which provider each stage uses. */
  readonly providerSummary: string;
  readonly warnings: readonly string[];
  /** Scores `last` (t) against `first` (t−1): boxes come from `last`, appearance/pose from `first` (as anomalib). */
  scoreClip(first: PreparedFrame, last: PreparedFrame): Promise<ClipScore>;
  /** N frames → N−1 results, frame t scored with t−1 as its clip's first frame. */
  scoreSequence(frames: readonly PreparedFrame[]): Promise<ClipScore[]>;
  /** Runs one synthetic clip through every stage so the first request pays no lazy initialisation. */
  warmup(): Promise<void>;
  close(): Promise<void>;
}

/** Where a stage comes from: an ONNX network (path or bytes), a built-in producer, or nothing. */
export type StageSource =
  | null
  | { readonly kind: 'onnx'; readonly model: string | Uint8Array }
  | { readonly kind: 'builtin'; readonly name: string; readonly params?: Record<string, unknown> };
export type StageSources = Record<StageName, StageSource>;

/** The stage runners a model needs. */
interface StageRunners {
  detector?: ObjectDetector;
  /** The built-in region proposals' params, when stages.regions is the built-in stage. */
  motion?: MotionRegionParams;
  /** `onlyIn` (boxes xyxy): the caller reads the flow inside these boxes only; a stage may skip the rest (the built-in flow does). */
  flow?: { compute(first: Float32Tensor, last: Float32Tensor, onlyIn?: Float32Array): Promise<Float32Tensor>; release(): Promise<void> | void };
  pose?: PoseModel;
  appearance?: AppearanceModel;
  providers: Record<StageName, StageProvider>;
  reports: ProviderReport[];
}

function elapsed(t0: bigint): number {
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/** A manifest's stages as sources, ONNX files resolved inside the model directory. */
export function manifestStageSources(dir: string, manifest: Manifest): StageSources {
  const source = (stage: Stage | null): StageSource =>
    stage === null
      ? null
      : stage.kind === 'onnx'
        ? { kind: 'onnx', model: join(dir, stage.file) }
        : { kind: 'builtin', name: stage.name, params: stage.params };
  const { regions, flow, pose, appearance } = manifest.stages;
  return { regions: source(regions), flow: source(flow), pose: source(pose), appearance: source(appearance) };
}

async function openStages(sources: StageSources, config: AiVadConfig, enabled: readonly AttributeName[], opts: LoadOptions): Promise<StageRunners> {
  const imageSize = config.dataset.image_size;
  const session = { executionProvider: opts.executionProvider ?? 'cpu', threads: opts.threads ?? 1, imageSize } as const;
  const runners: StageRunners = { providers: { regions: 'none', flow: 'none', pose: 'none', appearance: 'none' }, reports: [] };
  try {
    const { regions, flow, pose, appearance } = sources;
    if (regions?.kind === 'onnx') {
      runners.detector = await createObjectDetector(regions.model, { ...session, boxScoreThresh: config.model.box_score_thresh });
      runners.reports.push(runners.detector.report);
      runners.providers.regions = runners.detector.report.provider;
    } else if (regions?.kind === 'builtin') {
      if (regions.name !== BUILTIN_REGIONS_NAME) {
        throw new VadError(
          'model_invalid',
          `manifest: stages.regions is the built-in "${regions.name}", but this vad-serve has "${BUILTIN_REGIONS_NAME}": the density bank was fitted on other regions`,
        );
      }
      runners.motion = parseMotionRegionParams(regions.params);
      runners.providers.regions = 'builtin';
    }
    // Flow only feeds the velocity attribute: skipping it when velocity is off changes no score.
    if (enabled.includes('velocity')) {
      if (flow?.kind === 'onnx') {
        const f = await createOnnxFlow(flow.model, session);
        runners.flow = { compute: (a, b) => f.run(a, b), release: () => f.release() };
        runners.reports.push(f.report);
        runners.providers.flow = f.report.provider;
      } else if (flow?.kind === 'builtin') {
        if (flow.name !== BUILTIN_FLOW_NAME) {
          throw new VadError(
            'model_invalid',
            `manifest: stages.flow is the built-in "${flow.name}", but this vad-serve has "${BUILTIN_FLOW_NAME}": the velocity bank was fitted on another flow`,
          );
        }
        const f = await loadBuiltinFlow(flow.params ?? {});
        runners.flow = { compute: async (a, b, onlyIn) => f.compute(a, b, onlyIn), release: () => f.release() };
        runners.providers.flow = 'builtin';
      } else {
        throw new VadError('model_invalid', 'velocity features are enabled but no flow stage is given (stages.flow is null)');
      }
    }
    if (enabled.includes('pose')) {
      if (pose?.kind !== 'onnx')
        throw new VadError('model_invalid', 'pose features are enabled but no pose network is given (stages.pose must be an ONNX stage: onnx/pose.onnx)');
      runners.pose = await createPoseModel(pose.model, session);
      runners.reports.push(runners.pose.report);
      runners.providers.pose = runners.pose.report.provider;
    }
    if (enabled.includes('appearance')) {
      if (appearance?.kind !== 'onnx')
        throw new VadError(
          'model_invalid',
          'appearance features are enabled but no appearance network is given (stages.appearance must be an ONNX stage: onnx/appearance.onnx)',
        );
      runners.appearance = await createAppearanceModel(appearance.model, session);
      runners.reports.push(runners.appearance.report);
      runners.providers.appearance = runners.appearance.report.provider;
    }
  } catch (e) {
    await releaseStages(runners);
    throw e;
  }
  return runners;
}

async function releaseStages(r: StageRunners): Promise<void> {
  await Promise.all([r.detector?.release(), r.flow?.release(), r.pose?.release(), r.appearance?.release()]);
}

const NO_DETECTIONS: Detections = { count: 0, boxes: new Float32Array(0), labels: new Int32Array(0), scores: new Float32Array(0) };

/** What stages 1–3 produce for one clip. */
export interface ClipFeatures {
  /** In anomalib's order (ascending area after overlap removal). */
  readonly regions: Regions;
  readonly boxes: Boxes;
  /** Per enabled attribute, one row per region. */
  readonly features: RegionFeatures;
  readonly timingsMs: Record<string, number>;
  /** Built-in regions only: difference pixels seen before any region was dropped (0 = nothing moved). */
  readonly motionPixels?: number;
}

/** Stages 1–3: regions, flow and attribute features of a clip; shared by scoring and fitting. */
export class FeatureExtractor {
  readonly imageSize: [number, number];

  private constructor(
    readonly config: AiVadConfig,
    readonly enabled: readonly AttributeName[],
    private readonly stages: StageRunners,
  ) {
    this.imageSize = [config.dataset.image_size[0], config.dataset.image_size[1]];
  }

  static async open(sources: StageSources, config: AiVadConfig, enabled: readonly AttributeName[], opts: LoadOptions = {}): Promise<FeatureExtractor> {
    if (enabled.length === 0)
      throw new VadError(
        'no_attributes',
        'no attribute is enabled: set at least one of use_velocity_features, use_pose_features, use_deep_features in config.yaml',
      );
    return new FeatureExtractor(config, enabled, await openStages(sources, config, enabled, opts));
  }

  get providers(): Record<StageName, StageProvider> {
    return { ...this.stages.providers };
  }

  /** Columns of the velocity features: the direction bins, plus the matched speed with the built-in regions that record it. */
  get velocityColumns(): number {
    return velocityWidth(this.config.model.n_velocity_bins, this.stages.motion);
  }

  get providerSummary(): string {
    const builtin = (['regions', 'flow'] as const).filter((s) => this.stages.providers[s] === 'builtin').map((s) => `${s}: builtin`);
    return [describeProviders(this.stages.reports), ...builtin].join(', ');
  }

  private checkFrame(f: PreparedFrame, what: string): void {
    const [, h, w] = f.image.shape;
    if (f.image.shape.length !== 3 || f.image.shape[0] !== 3 || h !== this.imageSize[0] || w !== this.imageSize[1]) {
      throw new VadError(
        'bad_argument',
        `${what}: a prepared frame must be [3,${this.imageSize[0]},${this.imageSize[1]}] (the model's imageSize), got [${f.image.shape.join(',')}]`,
      );
    }
  }

  /** Stage 1 on `last`: detector boxes, then foreground boxes appended, then anomalib's filters. */
  private async regions(first: Float32Tensor, last: Float32Tensor): Promise<{ regions: Regions; motionPixels?: number; movingMask?: Uint8Array }> {
    const m = this.config.model;
    const postprocess = (r: Regions) =>
      selectRegions(
        r,
        postprocessRegions(r.boxes, r.labels, { personsOnly: m.persons_only, minBboxArea: m.min_bbox_area, maxBboxOverlap: m.max_bbox_overlap }),
      );
    if (this.stages.motion) {
      // The built-in stage replaces the detector and anomalib's foreground step (it is a better
      // foreground step); anomalib's size and overlap filters still apply.
      const found = motionRegions(first, last, this.stages.motion);
      const movingMask = this.stages.motion.velocityFrom === 'box' ? undefined : found.mask;
      return { regions: postprocess(found.regions), motionPixels: found.motionPixels, ...(movingMask ? { movingMask } : {}) };
    }
    const detections = this.stages.detector ? await this.stages.detector.run(last) : NO_DETECTIONS;
    let regions = regionsFromDetections(detections);
    if (m.enable_foreground_detections) {
      const fg = foregroundDetections(first, last, detections.boxes, { kernelSize: m.foreground_kernel_size, binaryThreshold: m.foreground_binary_threshold });
      regions = concatRegions(regions, fg);
    }
    return { regions: postprocess(regions) };
  }

  async extract(first: PreparedFrame, last: PreparedFrame): Promise<ClipFeatures> {
    this.checkFrame(first, 'first frame');
    this.checkFrame(last, 'last frame');
    assertSameSize([first, last]);
    const timingsMs: Record<string, number> = {};
    let t = process.hrtime.bigint();
    const { regions, motionPixels, movingMask } = await this.regions(first.image, last.image);
    timingsMs['regions'] = elapsed(t);
    const count = regions.count;
    const boxes: Boxes = tensor('float32', regions.boxes, [count, 4]);
    const features: RegionFeatures = {};
    // No region, no feature: anomalib would fail here; we skip flow and the networks entirely.
    if (count > 0 && this.stages.flow) {
      t = process.hrtime.bigint();
      // The moving-pixel velocity reads the flow inside the boxes only (RoIAlign's box mean samples
      // bilinearly at the box edges, so it gets the whole field).
      const flow = await this.stages.flow.compute(first.image, last.image, movingMask ? boxes.data : undefined);
      timingsMs['flow'] = elapsed(t);
      t = process.hrtime.bigint();
      const bins = this.config.model.n_velocity_bins;
      features.velocity = movingMask ? movingVelocityFeatures(flow, boxes, movingMask, bins) : velocityFeatures(flow, boxes, bins);
      if (movingMask && this.stages.motion?.velocityFrom === 'moving-pixels-p90+matched') {
        features.velocity = appendColumn(features.velocity, matchedSpeeds(first.image, last.image, boxes, movingMask));
      }
      timingsMs['features'] = elapsed(t);
    }
    t = process.hrtime.bigint();
    // anomalib feeds the *first* frame to the pose and appearance extractors (boxes come from `last`).
    if (this.stages.pose) features.pose = poseFeatures(await this.stages.pose.run(first.image, boxes), boxes);
    if (this.stages.appearance) features.appearance = await this.stages.appearance.run(first.image, boxes);
    if (this.stages.pose || this.stages.appearance) timingsMs['features'] = (timingsMs['features'] ?? 0) + elapsed(t);
    return { regions, boxes, features, timingsMs, ...(motionPixels !== undefined ? { motionPixels } : {}) };
  }

  async close(): Promise<void> {
    await releaseStages(this.stages);
  }
}

/**
 * The score of a frame with no region. anomalib has none (it fails): a frame with nothing in it
 * scores 0, as the spec says. But with the built-in regions a frame where pixels moved and no region
 * survived the size filter is not "nothing happened" — a fast mover that the stage could not resolve
 * looks exactly like that — so it scores 1 per enabled attribute: the normalised score of the most
 * unusual training region, the top of the normal range, never the most normal score.
 */
export function noRegionScore(attributes: number, motionPixels: number | undefined): number {
  return motionPixels ? attributes : 0;
}

/** The stages and estimators of one loaded model; scoring is stateless per clip. */
class AiVadModel implements VadModel {
  readonly imageSize: [number, number];

  constructor(
    readonly name: string,
    readonly sha256: string,
    readonly manifest: Manifest,
    readonly config: AiVadConfig,
    readonly enabled: AttributeName[],
    readonly warnings: readonly string[],
    private readonly extractor: FeatureExtractor,
    private readonly density: DensityScorer,
  ) {
    this.imageSize = [manifest.imageSize[0], manifest.imageSize[1]];
  }

  get providers(): Record<StageName, StageProvider> {
    return this.extractor.providers;
  }

  get providerSummary(): string {
    return this.extractor.providerSummary;
  }

  async scoreClip(first: PreparedFrame, last: PreparedFrame): Promise<ClipScore> {
    const { regions, features, timingsMs, motionPixels } = await this.extractor.extract(first, last);
    const count = regions.count;
    const t = process.hrtime.bigint();
    const scores = await this.density.score(features, count);
    timingsMs['density'] = elapsed(t);

    const out: RegionScore[] = [];
    const bins = this.config.model.n_velocity_bins;
    const columns = this.extractor.velocityColumns;
    for (let i = 0; i < count; i++) {
      const attributes: RegionScore['attributes'] = {};
      for (const a of this.enabled) attributes[a] = scores.normalized[a]![i];
      const r: RegionScore = {
        box: [regions.boxes[4 * i], regions.boxes[4 * i + 1], regions.boxes[4 * i + 2], regions.boxes[4 * i + 3]],
        source: regions.source[i] === 1 ? 'foreground' : 'detector',
        label: regions.labels[i],
        confidence: regions.scores[i],
        score: scores.regionScores[i],
        attributes,
      };
      if (features.velocity) {
        r.velocityBins = Array.from(features.velocity.data.subarray(i * columns, i * columns + bins));
        if (columns > bins) r.matchedSpeed = features.velocity.data[i * columns + bins]!;
      }
      out.push(r);
    }
    if (count > 0) return { score: scores.frameScore, regions: out, timingsMs };
    return { score: noRegionScore(this.enabled.length, motionPixels), regions: out, timingsMs, ...(motionPixels ? { unresolvedMotion: true } : {}) };
  }

  async scoreSequence(frames: readonly PreparedFrame[]): Promise<ClipScore[]> {
    if (frames.length < 2)
      throw new VadError(
        'needs_clip',
        `a sequence needs at least two frames (got ${frames.length}): every frame after the first is scored against the one before it`,
      );
    assertSameSize(frames);
    const out: ClipScore[] = [];
    for (let i = 1; i < frames.length; i++) out.push(await this.scoreClip(frames[i - 1], frames[i]));
    return out;
  }

  async warmup(): Promise<void> {
    const [h, w] = this.imageSize;
    const a = new Float32Array(3 * h * w);
    const b = new Float32Array(3 * h * w);
    // A bright square that moves: gives the foreground stage a region, so every stage runs once.
    const s = Math.max(4, Math.floor(Math.min(h, w) / 6));
    for (let c = 0; c < 3; c++)
      for (let y = 0; y < s; y++)
        for (let x = 0; x < s; x++) {
          a[c * h * w + (y + 2) * w + x + 2] = 1;
          b[c * h * w + (y + 4) * w + x + 6] = 1;
        }
    const frame = (data: Float32Array): PreparedFrame => ({ image: tensor('float32', data, [3, h, w]), originalSize: [h, w] });
    await this.scoreClip(frame(a), frame(b));
  }

  async close(): Promise<void> {
    await Promise.all([this.extractor.close(), this.density.release()]);
  }
}

/** Loads, verifies (every digest) and opens a model directory (model-format.md). */
export async function loadModel(dir: string, opts: LoadOptions = {}): Promise<VadModel> {
  const files = await loadModelFiles(dir);
  const { manifest, config, attributes } = files;
  const extractor = await FeatureExtractor.open(manifestStageSources(dir, manifest), config, attributes, opts);
  let density: DensityScorer;
  try {
    density = await createDensityScorer(files.density, { threads: opts.threads ?? 1, executionProvider: opts.executionProvider ?? 'cpu' });
  } catch (e) {
    await extractor.close();
    throw e;
  }
  return new AiVadModel(manifest.name, files.sha256, manifest, config, attributes, files.warnings, extractor, density);
}
