import type { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { SageMakerClientError, WaitTimeoutError } from '../errors';
import { assertResourceName } from '../rules';
import { sleep } from '../waiters';
import { mapAwsError } from './map-error';
import { withRetry } from './retry';
import { sagemakerSdk } from './sdk';

export interface TransformJobSpec {
  jobName: string;
  modelName: string;
  /** S3 prefix of frames/videos; with SplitType None each object is one request. */
  inputS3Uri: string;
  outputS3Uri: string;
  contentType: string;
  accept?: string;
  instanceType: string;
  instanceCount?: number;
  /** ≤ 100; MaxConcurrentTransforms × MaxPayloadInMB ≤ 100. */
  maxPayloadInMB?: number;
  maxConcurrentTransforms?: number;
  invocationsTimeoutInSeconds?: number;
  environment?: Record<string, string>;
  tags?: Record<string, string>;
}

export type TransformJobStatus = 'InProgress' | 'Completed' | 'Failed' | 'Stopping' | 'Stopped';

export async function createTransformJob(sm: SageMakerClient, s: TransformJobSpec): Promise<{ transformJobArn: string }> {
  assertResourceName('transform job', s.jobName);
  if (s.environment && Object.keys(s.environment).length > 16)
    throw new SageMakerClientError('validation', 'a transform job takes at most 16 environment entries');
  // The SageMaker client does not retry by itself (clients.ts): this is the call's one retry layer.
  const o = await withRetry(
    () =>
      sm.send(
        new (sagemakerSdk().CreateTransformJobCommand)({
          TransformJobName: s.jobName,
          ModelName: s.modelName,
          MaxPayloadInMB: s.maxPayloadInMB,
          MaxConcurrentTransforms: s.maxConcurrentTransforms,
          ModelClientConfig: s.invocationsTimeoutInSeconds
            ? { InvocationsTimeoutInSeconds: s.invocationsTimeoutInSeconds, InvocationsMaxRetries: 1 }
            : undefined,
          TransformInput: {
            DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: s.inputS3Uri } },
            ContentType: s.contentType,
            SplitType: 'None',
            CompressionType: 'None',
          },
          TransformOutput: { S3OutputPath: s.outputS3Uri, Accept: s.accept ?? 'application/json', AssembleWith: 'None' },
          TransformResources: { InstanceType: s.instanceType as never, InstanceCount: s.instanceCount ?? 1 },
          Environment: s.environment,
          Tags: s.tags ? Object.entries(s.tags).map(([Key, Value]) => ({ Key, Value })) : undefined,
        }),
      ),
    (e) => mapAwsError(e, { resourceKind: 'transform-job', resourceName: s.jobName }),
  );
  return { transformJobArn: o.TransformJobArn ?? '' };
}

export async function describeTransformJob(
  sm: SageMakerClient,
  jobName: string,
): Promise<{ status: TransformJobStatus; failureReason?: string; outputS3Uri?: string }> {
  const o = await withRetry(
    () => sm.send(new (sagemakerSdk().DescribeTransformJobCommand)({ TransformJobName: jobName })),
    (e) => mapAwsError(e, { resourceKind: 'transform-job', resourceName: jobName }),
  );
  return { status: o.TransformJobStatus as TransformJobStatus, failureReason: o.FailureReason, outputS3Uri: o.TransformOutput?.S3OutputPath };
}

/** Polls until Completed (returns), Failed/Stopped (throws with FailureReason) or maxWaitSeconds. */
export async function waitForTransformJob(
  sm: SageMakerClient,
  jobName: string,
  o: { pollSeconds?: number; maxWaitSeconds?: number; onProgress?: (status: TransformJobStatus, elapsedSeconds: number) => void } = {},
): Promise<void> {
  const started = Date.now();
  for (;;) {
    const d = await describeTransformJob(sm, jobName);
    const elapsed = (Date.now() - started) / 1000;
    o.onProgress?.(d.status, elapsed);
    if (d.status === 'Completed') return;
    if (d.status === 'Failed' || d.status === 'Stopped')
      throw new SageMakerClientError('aws', `transform job ${jobName} ${d.status}: ${d.failureReason ?? '(no FailureReason)'}`);
    if (elapsed > (o.maxWaitSeconds ?? 6 * 3600)) throw new WaitTimeoutError(jobName, elapsed, d.status);
    await sleep((o.pollSeconds ?? 30) * 1000);
  }
}
