/**
 * The AWS SDK packages, each loaded on first use rather than when this lib's index is. The index
 * serves the local target too, and `deployer status` or `destroy` on it must not parse the SDK
 * (client-sagemaker alone is megabytes) for calls it never makes. Files under aws/ import the
 * SDK's types only and reach its classes through these.
 */
function onFirstUse<T>(load: () => T): () => T {
  let loaded: T | undefined;
  return () => (loaded ??= load());
}

export const sagemakerSdk = onFirstUse(() => require('@aws-sdk/client-sagemaker') as typeof import('@aws-sdk/client-sagemaker'));
export const runtimeSdk = onFirstUse(() => require('@aws-sdk/client-sagemaker-runtime') as typeof import('@aws-sdk/client-sagemaker-runtime'));
export const logsSdk = onFirstUse(() => require('@aws-sdk/client-cloudwatch-logs') as typeof import('@aws-sdk/client-cloudwatch-logs'));
export const ecrSdk = onFirstUse(() => require('@aws-sdk/client-ecr') as typeof import('@aws-sdk/client-ecr'));
export const s3Sdk = onFirstUse(() => require('@aws-sdk/client-s3') as typeof import('@aws-sdk/client-s3'));
export const autoscalingSdk = onFirstUse(
  () => require('@aws-sdk/client-application-auto-scaling') as typeof import('@aws-sdk/client-application-auto-scaling'),
);
export const quotasSdk = onFirstUse(() => require('@aws-sdk/client-service-quotas') as typeof import('@aws-sdk/client-service-quotas'));
export const storageSdk = onFirstUse(() => require('@aws-sdk/lib-storage') as typeof import('@aws-sdk/lib-storage'));
