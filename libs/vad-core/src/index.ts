// The public surface of @vad/core (pinned by index.spec.ts). Everything a service needs to load,
// score and fit AI-VAD models; internals (graph builders, linear algebra, fitting steps) stay
// private, test helpers (ONNX graph builder, stand-in stages) are in @vad/core/testing, and the
// CLIs' own helpers (frame folders, the golden engine) are reached only by vad-core's CLIs.

// tensors and errors
export { type DType, type DataOf, type Tensor, type Float32Tensor, type Boxes, shapeSize, tensor, float32, zeros, boxCount, emptyBoxes } from './tensor';
export { VadError, isVadError, asVadError } from './errors';

// ① frames
export { decodeImage, sniffImageFormat, DEFAULT_MAX_PIXELS, type DecodedImage, type DecodeOptions } from './frames/decode';
export { resizeLinearU8, resizeImage, resizeRgbToChwFloat, toChwFloat, resizeBilinearChw, type ImageU8 } from './frames/resize';
export { prepareFrame, prepareFrameFromRgb, assertSameSize } from './frames/clip';

// ② regions and flow
export { createObjectDetector, applyScoreThreshold, type Detections, type ObjectDetector, type ObjectDetectorOptions } from './regions/detector';
export { foregroundDetections } from './regions/foreground';
export { postprocessRegions } from './regions/postprocess';
export {
  motionRegions,
  parseMotionRegionParams,
  MotionRegionParamsSchema,
  BUILTIN_REGIONS_NAME,
  DEFAULT_MOTION_REGION_PARAMS,
  type MotionRegionParams,
  type MotionRegions,
} from './regions/motion-regions';
export { type Regions, REGION_SOURCE, emptyRegions, regionsFromDetections, concatRegions, selectRegions } from './regions/regions';
export { createOnnxFlow, type OnnxFlow } from './flow/onnx-flow';
export {
  loadBuiltinFlow,
  loadBuiltinFlowForStage,
  builtinFlowStage,
  parseBuiltinFlowParams,
  FarnebackParamsSchema,
  BUILTIN_FLOW_NAME,
  DEFAULT_BUILTIN_FLOW_PARAMS,
  type BuiltinFlow,
  type FarnebackParams,
  type FarnebackParamsInput,
} from './flow/builtin-flow';

// ③ features
export { roiAlign, type RoiAlignOptions } from './features/roi-align';
export { velocityFeatures, velocityBinEdges, VELOCITY_ROI_SIZE } from './features/velocity';
export { movingVelocityFeatures, MOVING_VELOCITY_QUANTILE } from './features/moving-velocity';
export { poseFeatures, POSE_FEATURE_DIM, POSE_KEYPOINTS } from './features/pose';
export { createPoseModel, type PoseModel } from './features/pose-model';
export { createAppearanceModel, type AppearanceModel } from './features/appearance';

// ④ density
export { type GmmParams, scoreSamples, gmmRawScores, prepareGmm } from './density/gmm';
export { fitGmm, type GmmFitOptions, type GmmFitResult } from './density/gmm-fit';
export { GroupedKnnEstimator, type KnnOptions } from './density/knn';
export { type MinMax, minMaxNormalize, minMaxOf, gmmBankMinMax, leaveOneGroupOutMinMax, normalizeKnnDistances } from './density/normalize';
export { combineAttributeScores, type CombinedScores } from './density/combined';
export { createDensityScorer, type DensityScorer, type DensityScores, type RegionFeatures } from './density/density-scorer';
export {
  fitDensityState,
  type DensityState,
  type VelocityDensity,
  type KnnDensity,
  type TrainingFeatures,
  type AttributeTrainingFeatures,
  type FitDensityOptions,
} from './density/density-state';

// runtime
export { createOnnxSession, type OnnxSession, type ExecutionProvider } from './runtime/onnx-session';
export { describeProviders, type ProviderReport, type StageSessionOptions } from './runtime/providers';
export { STAGE_CONTRACTS, validateStage } from './runtime/stage-contract';

// model format
export * from './model/safetensors';
export * from './model/digest';
export * from './model/verify-model-dir';
export * from './model/write-model-dir';
export * from './model/density-io';
export { loadModelFiles, type ModelFiles } from './model/load-model-dir';
export { defaultModelDir, sampleClipDir } from './model/default-model';

// the pipeline
export type { PreparedFrame, RegionScore, ClipScore, Box, LoadOptions, StageProvider } from './pipeline-types';
export {
  loadModel,
  noRegionScore,
  FeatureExtractor,
  manifestStageSources,
  type VadModel,
  type ClipFeatures,
  type StageSource,
  type StageSources,
} from './pipeline';
export {
  fitModel,
  parseConfig,
  attributesForStages,
  fitStageSources,
  type FitOptions,
  type FitVideo,
  type FitStages,
  type FitResult,
  type FitProgress,
} from './fit';
export { builtinStageDefaults, trainingSetWarnings, quantile, BUILTIN_STAGE_FIT_DEFAULTS, MIN_TRAINING_REGIONS, THRESHOLD_QUANTILE } from './fit-report';
export { smoothFrameScores } from './frame-smoothing';
