import * as api from './index';

// The exported surface of @vad/core is pinned, like sagemaker-client's: a change here is an API
// change for every project that imports it (add the name here on purpose, or keep it private).
it('exports exactly the public surface', () => {
  expect(Object.keys(api).sort()).toEqual([
    'BUILTIN_FLOW_NAME', 'BUILTIN_REGIONS_NAME', 'BUILTIN_STAGE_FIT_DEFAULTS', 'CONFIG_FILE',
    'DEFAULT_BUILTIN_FLOW_PARAMS', 'DEFAULT_MAX_PIXELS', 'DEFAULT_MOTION_REGION_PARAMS', 'DENSITY_FILE',
    'FarnebackParamsSchema', 'FeatureExtractor', 'GroupedKnnEstimator', 'MANIFEST_FILE', 'MIN_TRAINING_REGIONS',
    'MOVING_VELOCITY_QUANTILE', 'MotionRegionParamsSchema', 'POSE_FEATURE_DIM', 'POSE_KEYPOINTS', 'REGION_SOURCE',
    'SAFETENSORS_MAX_HEADER_BYTES', 'STAGE_CONTRACTS', 'THRESHOLD_QUANTILE', 'VAD_SERVE_VERSION', 'VELOCITY_ROI_SIZE',
    'VadError', 'applyScoreThreshold', 'asVadError', 'assertSameSize', 'assertWritableTarget', 'attributesForStages',
    'boxCount', 'builtinFlowStage', 'builtinStageDefaults', 'checkDensity', 'combineAttributeScores', 'concatRegions',
    'createAppearanceModel', 'createDensityScorer', 'createObjectDetector', 'createOnnxFlow', 'createOnnxSession',
    'createPoseModel', 'decodeImage', 'defaultModelDir', 'densityFromTensors', 'densityToTensors',
    'describeProviders', 'emptyBoxes', 'emptyRegions', 'entryFromTensor', 'entryToFloat32', 'entryToInt32',
    'entryToTensor', 'fitDensityState', 'fitGmm', 'fitModel', 'fitStageSources', 'float32', 'foregroundDetections',
    'gmmBankMinMax', 'gmmRawScores', 'halfToFloat', 'isSafetensorsDType', 'isVadError', 'itemSize',
    'leaveOneGroupOutMinMax', 'loadBuiltinFlow', 'loadBuiltinFlowForStage', 'loadModel', 'loadModelFiles',
    'manifestStageSources', 'minMaxNormalize', 'minMaxOf', 'motionRegions', 'movingVelocityFeatures', 'noRegionScore',
    'normalizeKnnDistances', 'parseBuiltinFlowParams', 'parseConfig', 'parseModelConfig', 'parseMotionRegionParams',
    'parseSafetensors', 'poseFeatures', 'postprocessRegions', 'prepareFrame', 'prepareFrameFromRgb', 'prepareGmm',
    'quantile', 'readDensityFile', 'readSafetensorsFile', 'regionsFromDetections', 'resizeBilinearChw', 'resizeImage',
    'resizeLinearU8', 'resizeRgbToChwFloat', 'roiAlign', 'sampleClipDir', 'scoreSamples', 'selectRegions',
    'serializeSafetensors', 'sha256Bytes', 'sha256File', 'shapeSize', 'smoothFrameScores', 'sniffImageFormat',
    'tensor', 'toChwFloat', 'trainingSetWarnings', 'validateStage', 'velocityBinEdges', 'velocityFeatures',
    'verifyModelDir', 'writeModelDir', 'writeSafetensorsFile', 'zeros',
  ]);
});
