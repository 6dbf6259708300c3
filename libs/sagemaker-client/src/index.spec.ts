import * as api from './index';

// The exported surface is pinned (style.md: like aws-sdk-js-v3): a change here is an API change
// for apps/deployer and anyone importing @vad/sagemaker-client.
it('exports exactly the public surface', () => {
  expect(Object.keys(api).sort()).toEqual([
    'AwsTarget',
    'DEFAULT_CLIENT_TIMEOUT_MS',
    'DEFAULT_STARTUP_HEALTH_CHECK_SECONDS',
    'DEFAULT_VARIANT_NAME',
    'DOCKER_V2_MANIFEST',
    'EndpointFailedError',
    'InvocationTimeoutError',
    'LocalTarget',
    'LocalTargetError',
    'MAX_ASYNC_INLINE_BYTES',
    'MAX_REALTIME_PAYLOAD_BYTES',
    'ModelError',
    'ModelNotReadyError',
    'NotFoundError',
    'OwnedElsewhereError',
    'PING_TIMEOUT_MS',
    'PayloadTooLargeError',
    'Predictor',
    'ResourceInUseError',
    'ResourceLimitError',
    'SAGEMAKER_INVOCATION_TIMEOUT_MS',
    'SageMakerClientError',
    'ServiceUnavailableError',
    'SilentRollbackError',
    'StreamError',
    'ThrottlingError',
    'UnsupportedManifestError',
    'ValidationError',
    'WaitTimeoutError',
    'assertInvokeOptions',
    'assertLocalOwner',
    'assertResourceName',
    'awsPollSeconds',
    'checkInstanceQuota',
    'createAwsClients',
    'createAwsServices',
    'createS3Client',
    'createTransformJob',
    'defaultStateDir',
    'deployedImageMismatches',
    'describeTransformJob',
    'deserializers',
    'destroyAwsClients',
    'ecrLogin',
    'ensureRepository',
    'fromDescribeEndpoint',
    'imageContentType',
    'isAlreadyExists',
    'isLoopbackPortOpen',
    'isProcessRunning',
    'isSageMakerClientError',
    'listS3Keys',
    'logStreamConsoleUrl',
    'mapAwsError',
    'parseSessionHeader',
    'pinImage',
    'pollUntilDeleted',
    'pollUntilInService',
    'putTargetTracking',
    'readInstanceQuota',
    'removeTargetTracking',
    'resolveServerLaunch',
    'serializers',
    'sha256OfFile',
    'sleep',
    'toBytes',
    'toDeploymentConfig',
    'uploadArtifact',
    'waitForTransformJob',
    'wantsDaemonless',
    'withRetry',
    'workspaceStateDir',
  ]);
});

it('serializes the request forms of api.md', () => {
  const jpeg = new Uint8Array([0xff, 0xd8, 0xff, 0xe0]);
  expect(api.serializers.image(jpeg).contentType).toBe('image/jpeg');
  expect(JSON.parse(api.serializers.frames([jpeg, { s3: 's3://b/k.jpg' }]).body as string)).toEqual({ frames: [{ b64: '/9j/4A==' }, { s3: 's3://b/k.jpg' }] });
  expect(JSON.parse(api.serializers.s3Uris(['s3://b/1.jpg', 's3://b/2.jpg'], true).body as string)).toEqual({
    images: ['s3://b/1.jpg', 's3://b/2.jpg'],
    clip: true,
  });
  expect(() => api.serializers.s3Uris(['https://x'])).toThrow(TypeError);
  expect(api.parseSessionHeader('abc-1; Expires=2026-01-01T00:00:00Z')).toEqual({ sessionId: 'abc-1', expires: new Date('2026-01-01T00:00:00Z') });
  expect(() => api.assertResourceName('endpoint', 'a'.repeat(64))).toThrow(api.ValidationError);
  expect(new api.ModelError('ep', 500, 'boom').exitCode).toBe(70);
});
