import * as api from './index';

// The exported surface of @vad/contracts is pinned, like sagemaker-client's: a change here is an API
// change for every project that imports it (add the name here on purpose, or keep it private).
it('exports exactly the public surface', () => {
  expect(Object.keys(api).sort()).toEqual([
    'ATTRIBUTES', 'AiVadConfigSchema', 'AiVadDatasetConfigSchema', 'AiVadModelConfigSchema', 'AutoscaleSchema',
    'AwsDeploySchema', 'BuiltinStageSchema', 'CONFIG_FILE', 'ClipsRequestSchema', 'DENSITY_FILE', 'DENSITY_TENSORS',
    'DEPLOY_NAME_MAX', 'DEPLOY_STEPS', 'DEPLOY_TAGS', 'DataCaptureSchema', 'DensityMetadataSchema',
    'DeployActionSchema', 'DeployAttemptSchema', 'DeployConfigSchema', 'DeployPlanSchema', 'DeployStateSchema',
    'DeployStepIdSchema', 'DeployTargetSchema', 'DeployedSchema', 'ECR_IMAGE', 'ERRORS', 'ERROR_CODES',
    'ErrorBodySchema', 'ErrorCodeSchema', 'ExecutionParametersSchema', 'FRAME_FILE', 'FrameRefSchema',
    'FrameResultSchema', 'FramesRequestSchema', 'IMAGE_MEDIA_TYPES', 'ImageSourceSchema', 'ImagesRequestSchema',
    'InvocationResponseSchema', 'JsonInvocationSchema', 'LocalDeploySchema', 'MANIFEST_FILE', 'MODEL_FORMAT_VERSION',
    'ManifestSchema', 'ModelSourceSchema', 'OnnxStageSchema', 'PlanStepSchema', 'PlannedCallSchema',
    'RESPONSE_MEDIA_TYPES', 'RegionResultSchema', 'RolloutSchema', 'S3_URI', 'S3_URI_PREFIX', 'SAGEMAKER_HEADERS',
    'SAGEMAKER_NAME', 'STAGE_FILES', 'StageSchema', 'StagesSchema', 'StepOutputsSchema', 'ThresholdSchema',
    'TimingsSchema', 'VIDEO_MEDIA_TYPES', 'VadError', 'anomalibConfigSections', 'asVadError', 'cliErrorLine',
    'commanderExitCode', 'compareFrameNames', 'deployConfigProblems', 'enabledAttributes', 'errorExitCode',
    'errorStatus', 'frameFileNames', 'isAiVadClassPath', 'isConfigRecord', 'isVadError', 'neighboursFor',
    'resolveFrameRef', 'runCli',
  ]);
});
