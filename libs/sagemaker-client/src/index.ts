// The public surface of @vad/sagemaker-client (pinned by index.spec.ts).
export * from './errors';
export * from './target';
export * from './rules';
export * from './waiters';
export * from './predictor';
export { LocalTarget, type LocalTargetOptions } from './local/local-target';
export { defaultStateDir, workspaceStateDir } from './local/state';
export { assertOwner as assertLocalOwner } from './local/owner';
export { listening as isLoopbackPortOpen } from './local/front';
export { resolveServerLaunch, isProcessRunning, type ServerLaunch } from './local/processes';
export {
  AwsTarget,
  deployedImageMismatches,
  fromDescribeEndpoint,
  toDeploymentConfig,
  type AwsTargetOptions,
  type InvokeAsyncInput,
  type InvokeAsyncResult,
} from './aws/aws-target';
export { createAwsClients, createS3Client, destroyAwsClients, type AwsClients, type AwsClientsConfig } from './aws/clients';
export { mapAwsError, isAlreadyExists, logStreamConsoleUrl } from './aws/map-error';
export { withRetry, type RetryOptions } from './aws/retry';
export { uploadArtifact, sha256OfFile, type UploadArtifactOptions, type UploadArtifactResult, type UploadProgress } from './aws/s3-upload';
export { listS3Keys } from './aws/s3-list';
export { ensureRepository, ecrLogin, pinImage, DOCKER_V2_MANIFEST, type EcrRepository, type EcrLogin, type PinnedImage } from './aws/ecr';
export { putTargetTracking, removeTargetTracking, type TargetTrackingSpec } from './aws/autoscaling';
export { checkInstanceQuota, readInstanceQuota, type QuotaCheck, type QuotaReading } from './aws/quotas';
export { wantsDaemonless } from './aws/daemonless-image';
export { createAwsServices, type AwsServices, type Docker, type ResolvedImage, type TransformJobRequest, type UploadRequest } from './aws/deploy-services';
export { createTransformJob, describeTransformJob, waitForTransformJob, type TransformJobSpec, type TransformJobStatus } from './aws/batch';
