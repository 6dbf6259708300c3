import { DEPLOY_TAGS, type DeployConfig } from '@vad/contracts';
import { awsPollSeconds, type DeploymentSpec, type EndpointConfigSpec, type ModelSpec } from '@vad/sagemaker-client';
import type { ResourceNames } from './naming';

/**
 * The specs a deploy sends to the control plane, built from the config alone (pure functions:
 * `plan` prints them, `deploy` sends them), so `--instance-count` is followed to
 * CreateEndpointConfig here and nowhere else.
 */
export function imageIdentity(config: DeployConfig): string {
  if (config.target === 'local') return 'local';
  const img = config.aws.image;
  if (!img) return 'none';
  return 'uri' in img ? img.uri : `build:${img.build.repository}:${img.build.dockerfile}`;
}

export function deployTags(config: DeployConfig, fingerprint: string, modelSha256: string): Record<string, string> {
  return {
    ...config.tags,
    [DEPLOY_TAGS.managed]: 'true',
    [DEPLOY_TAGS.endpoint]: config.name,
    [DEPLOY_TAGS.fingerprint]: fingerprint,
    [DEPLOY_TAGS.modelSha256]: modelSha256,
  };
}

export function containerEnvironment(config: DeployConfig): Record<string, string> {
  if (config.target === 'local') return { VAD_WORKERS: String(config.local.workers) };
  return { ...config.aws.env };
}

export function modelSpec(
  config: DeployConfig,
  names: ResourceNames,
  modelDataUrl: string,
  imageUri: string | undefined,
  tags: Record<string, string>,
): ModelSpec {
  return {
    modelName: names.modelName,
    ...(imageUri ? { image: imageUri } : {}),
    modelDataUrl,
    environment: containerEnvironment(config),
    ...(config.target === 'aws' && config.aws.roleArn ? { executionRoleArn: config.aws.roleArn } : {}),
    tags,
  };
}

export function endpointConfigSpec(config: DeployConfig, names: ResourceNames, tags: Record<string, string>): EndpointConfigSpec {
  const a = config.aws;
  const local = config.target === 'local';
  return {
    endpointConfigName: names.endpointConfigName,
    variants: [
      {
        variantName: a.variant,
        modelName: names.modelName,
        instanceType: local ? 'local' : a.instanceType,
        initialInstanceCount: local ? 1 : a.instanceCount,
        initialVariantWeight: 1,
        containerStartupHealthCheckTimeoutInSeconds: a.startupTimeoutSeconds,
      },
    ],
    ...(!local && a.asyncOutput ? { asyncInference: { s3OutputPath: a.asyncOutput } } : {}),
    ...(!local && a.dataCapture
      ? {
          dataCapture: {
            destinationS3Uri: a.dataCapture.destination,
            initialSamplingPercentage: a.dataCapture.samplingPercentage,
            captureModes: ['Input', 'Output'],
          },
        }
      : {}),
    tags,
  };
}

/** Blue/green traffic shifting with auto-rollback alarms; undefined = SageMaker's default (all at once). */
export function deploymentSpec(config: DeployConfig): DeploymentSpec | undefined {
  if (config.target === 'local') return undefined;
  const r = config.aws.rollout;
  if (r.strategy === 'all-at-once' && r.alarms.length === 0) return undefined;
  const steps = r.strategy === 'linear' ? Math.ceil(100 / r.stepPercent) : r.strategy === 'canary' ? 2 : 1;
  const bake = r.strategy === 'all-at-once' ? r.waitSeconds : r.waitSeconds * steps;
  const size = { type: 'CAPACITY_PERCENT' as const, value: r.stepPercent };
  return {
    trafficRouting: {
      type: r.strategy === 'canary' ? 'CANARY' : r.strategy === 'linear' ? 'LINEAR' : 'ALL_AT_ONCE',
      waitIntervalInSeconds: r.waitSeconds,
      ...(r.strategy === 'canary' ? { canarySize: size } : {}),
      ...(r.strategy === 'linear' ? { linearStepSize: size } : {}),
    },
    terminationWaitInSeconds: r.terminationWaitSeconds,
    // SageMaker: 600–28800 s, and more than the sum of the baking waits.
    maximumExecutionTimeoutInSeconds: Math.min(28800, Math.max(600, bake + r.terminationWaitSeconds + config.aws.startupTimeoutSeconds + 600)),
    ...(r.alarms.length > 0 ? { autoRollbackAlarms: r.alarms } : {}),
  };
}

/** Seconds between status polls: on AWS the lib's 15–30 s; locally at most 0.25 s (a process on loopback). */
export function pollInterval(config: DeployConfig): number {
  return config.target === 'aws' ? awsPollSeconds(config.pollSeconds) : Math.min(config.pollSeconds, 0.25);
}
