import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import type { CloudWatchLogsClient } from '@aws-sdk/client-cloudwatch-logs';
import type { ECRClient } from '@aws-sdk/client-ecr';
import type { S3Client, S3ClientConfig } from '@aws-sdk/client-s3';
import type { SageMakerClient, SageMakerClientConfig } from '@aws-sdk/client-sagemaker';
import type { SageMakerRuntimeClient } from '@aws-sdk/client-sagemaker-runtime';
import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { DEFAULT_CLIENT_TIMEOUT_MS } from '../rules';
import { silenceSdkNodeSupportWarning } from './node-support-warning';
import { nameFailedCalls, s3PathStyle } from './call-context';
import { autoscalingSdk, ecrSdk, logsSdk, quotasSdk, runtimeSdk, s3Sdk, sagemakerSdk } from './sdk';

silenceSdkNodeSupportWarning();

/** The SDK clients one AWS target uses; any of them can be passed in (tests, custom config). */
export interface AwsClients {
  sagemaker: SageMakerClient;
  runtime: SageMakerRuntimeClient;
  s3: S3Client;
  ecr: ECRClient;
  autoscaling: ApplicationAutoScalingClient;
  quotas: ServiceQuotasClient;
  logs: CloudWatchLogsClient;
}

export interface AwsClientsConfig {
  region?: string;
  /** Passed to every client (default: the SDK's credential chain). */
  credentials?: SageMakerClientConfig['credentials'];
  /**
   * SDK attempts per call of the clients the SDK retries (runtime, S3, ECR, quotas, autoscaling;
   * standard mode, default 3). The SageMaker and CloudWatch Logs clients always make one attempt
   * per send: their calls are retried by this lib's withRetry (AwsTarget.call), never twice over.
   */
  maxAttempts?: number;
  /** Invocation deadline for the runtime client (default 70 000 ms, above SageMaker's 60 s). */
  invokeTimeoutMs?: number;
  /** S3 endpoint override (e.g. s3rver/MinIO on loopback); path-style addressing then (and with AWS_ENDPOINT_URL; VAD_S3_PATH_STYLE decides explicitly). */
  s3Endpoint?: string;
  clients?: Partial<AwsClients>;
}

/**
 * Clients with the settings the notes call for: a runtime client whose request timeout actually
 * throws (the Node handler only warns unless throwOnRequestTimeout is set, notes §4.4), and an S3
 * client that computes checksums only when required (flexible checksums on streamed bodies break
 * S3-compatible servers such as s3rver, which then store the wrong bytes).
 */
export function createAwsClients(config: AwsClientsConfig = {}): AwsClients {
  const common = { region: config.region, credentials: config.credentials, maxAttempts: config.maxAttempts };
  const given = config.clients ?? {};
  // One retry layer per call: the control plane's is withRetry (retry.ts), so the SDK's is off there.
  const once = { ...common, maxAttempts: 1 };
  return {
    sagemaker: given.sagemaker ?? nameFailedCalls(new (sagemakerSdk().SageMakerClient)(once)),
    runtime:
      given.runtime ??
      nameFailedCalls(
        new (runtimeSdk().SageMakerRuntimeClient)({
          ...common,
          requestHandler: { requestTimeout: config.invokeTimeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS, throwOnRequestTimeout: true },
        }),
      ),
    s3: given.s3 ?? createS3Client({ region: config.region, credentials: config.credentials, endpoint: config.s3Endpoint, maxAttempts: config.maxAttempts }),
    ecr: given.ecr ?? nameFailedCalls(new (ecrSdk().ECRClient)(common)),
    autoscaling: given.autoscaling ?? nameFailedCalls(new (autoscalingSdk().ApplicationAutoScalingClient)(common)),
    quotas: given.quotas ?? nameFailedCalls(new (quotasSdk().ServiceQuotasClient)(common)),
    logs: given.logs ?? nameFailedCalls(new (logsSdk().CloudWatchLogsClient)(once)),
  };
}

export function createS3Client(o: { region?: string; credentials?: S3ClientConfig['credentials']; endpoint?: string; maxAttempts?: number } = {}): S3Client {
  return nameFailedCalls(
    new (s3Sdk().S3Client)({
      region: o.region,
      credentials: o.credentials,
      maxAttempts: o.maxAttempts,
      ...(o.endpoint ? { endpoint: o.endpoint } : {}),
      forcePathStyle: s3PathStyle(o.endpoint),
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
    }),
  );
}

export function destroyAwsClients(c: AwsClients): void {
  for (const client of Object.values(c)) (client as { destroy(): void }).destroy();
}
