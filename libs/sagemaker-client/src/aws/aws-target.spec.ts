/**
 * Control-plane and runtime behaviour of AwsTarget against aws-sdk-client-mock: there is no local
 * server for the SageMaker control plane (nothing like s3rver exists for it), so call inputs,
 * polling, the Failed fast path, rollback detection, retries and error mapping are checked
 * against mocked SDK clients. aws-sdk-client-mock replaces `send`, so the SDK's own retry
 * middleware does not run here: the retries seen are ours.
 */
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateEndpointCommand,
  CreateEndpointConfigCommand,
  CreateModelCommand,
  DescribeEndpointCommand,
  DescribeEndpointConfigCommand,
  ListEndpointsCommand,
  ListTagsCommand,
  ResourceLimitExceeded,
  SageMakerClient,
  UpdateEndpointCommand,
} from '@aws-sdk/client-sagemaker';
import {
  InvokeEndpointCommand,
  InvokeEndpointWithResponseStreamCommand,
  ModelError as SdkModelError,
  SageMakerRuntimeClient,
} from '@aws-sdk/client-sagemaker-runtime';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import {
  EndpointFailedError,
  InvocationTimeoutError,
  ModelError,
  NotFoundError,
  PayloadTooLargeError,
  ResourceLimitError,
  ServiceUnavailableError,
  SilentRollbackError,
  StreamError,
  ThrottlingError,
  ValidationError,
  WaitTimeoutError,
} from '../errors';
import type { WaitProgress } from '../target';
import { AwsTarget, deployedImageMismatches } from './aws-target';
import { isAlreadyExists } from './map-error';

const sm = mockClient(SageMakerClient);
const rt = mockClient(SageMakerRuntimeClient);
const logs = mockClient(CloudWatchLogsClient);

function awsError(name: string, message: string, status = 400): Error {
  return Object.assign(new Error(message), { name, $fault: status >= 500 ? 'server' : 'client', $metadata: { httpStatusCode: status, requestId: 'req-1' } });
}

const IMAGE = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/vad-serve@sha256:' + 'a'.repeat(64);

function describe_(status: string, extra: Record<string, unknown> = {}) {
  return {
    EndpointName: 'ep',
    EndpointArn: 'arn:aws:sagemaker:eu-west-1:123456789012:endpoint/ep',
    EndpointConfigName: 'cfg-1',
    EndpointStatus: status,
    ProductionVariants: [{ VariantName: 'AllTraffic', DeployedImages: [{ SpecifiedImage: IMAGE, ResolvedImage: IMAGE }], CurrentInstanceCount: 1 }],
    ...extra,
  } as never;
}

function target(): AwsTarget {
  return new AwsTarget({
    region: 'eu-west-1',
    credentials: { accessKeyId: 'x', secretAccessKey: 'y' },
    retry: { baseDelayMs: 1, attempts: 4 },
    configVisibilityDelayMs: 1,
  });
}

beforeEach(() => {
  sm.reset();
  rt.reset();
  logs.reset();
});

describe('AwsTarget control plane (aws-sdk-client-mock)', () => {
  it('CreateModel: digest-pinned image, artifact, environment, role and tags', async () => {
    sm.on(CreateModelCommand).resolves({ ModelArn: 'arn:model' });
    const r = await target().createModel({
      modelName: 'vad-abc123',
      image: IMAGE,
      modelDataUrl: 's3://b/models/sha/model.tar.gz',
      environment: { VAD_WORKERS: '1' },
      executionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      tags: { 'vad-serve:managed': 'true' },
    });
    expect(r.modelArn).toBe('arn:model');
    expect(sm.commandCalls(CreateModelCommand)[0]!.args[0].input).toEqual({
      ModelName: 'vad-abc123',
      PrimaryContainer: { Image: IMAGE, ModelDataUrl: 's3://b/models/sha/model.tar.gz', Environment: { VAD_WORKERS: '1' } },
      ExecutionRoleArn: 'arn:aws:iam::123456789012:role/exec',
      Tags: [{ Key: 'vad-serve:managed', Value: 'true' }],
    });
    await expect(target().createModel({ modelName: 'bad_name', image: IMAGE, modelDataUrl: 's3://b/k', executionRoleArn: 'r' })).rejects.toBeInstanceOf(
      ValidationError,
    );
    await expect(
      target().createModel({ modelName: 'm', image: IMAGE, modelDataUrl: 's3://b/k', executionRoleArn: 'r', environment: { K: 'v'.repeat(1025) } }),
    ).rejects.toBeInstanceOf(ValidationError);
    expect(sm.commandCalls(CreateModelCommand)).toHaveLength(1);
  });

  it('CreateEndpointConfig: variant defaults, async inference and data capture', async () => {
    sm.on(CreateEndpointConfigCommand).resolves({ EndpointConfigArn: 'arn:cfg' });
    await target().createEndpointConfig({
      endpointConfigName: 'cfg-1',
      variants: [{ modelName: 'vad-abc123', instanceType: 'ml.g5.xlarge', containerStartupHealthCheckTimeoutInSeconds: 600 }],
      asyncInference: { s3OutputPath: 's3://b/out/', maxConcurrentInvocationsPerInstance: 4 },
      dataCapture: { destinationS3Uri: 's3://b/capture/', initialSamplingPercentage: 10 },
    });
    const input = sm.commandCalls(CreateEndpointConfigCommand)[0]!.args[0].input;
    expect(input.ProductionVariants![0]).toMatchObject({
      VariantName: 'AllTraffic',
      ModelName: 'vad-abc123',
      InstanceType: 'ml.g5.xlarge',
      InitialInstanceCount: 1,
      InitialVariantWeight: 1,
      ContainerStartupHealthCheckTimeoutInSeconds: 600,
    });
    expect(input.AsyncInferenceConfig).toEqual({ ClientConfig: { MaxConcurrentInvocationsPerInstance: 4 }, OutputConfig: { S3OutputPath: 's3://b/out/' } });
    expect(input.DataCaptureConfig).toMatchObject({
      EnableCapture: true,
      InitialSamplingPercentage: 10,
      CaptureOptions: [{ CaptureMode: 'Input' }, { CaptureMode: 'Output' }],
    });
  });

  it('CreateEndpoint waits for the config to be readable (eventual consistency), with blue/green settings', async () => {
    sm.on(DescribeEndpointConfigCommand)
      .rejectsOnce(awsError('ValidationException', 'Could not find endpoint configuration "cfg-1".'))
      .resolves({ EndpointConfigName: 'cfg-1', EndpointConfigArn: 'arn:cfg', ProductionVariants: [] });
    sm.on(CreateEndpointCommand).resolves({ EndpointArn: 'arn:ep' });
    await target().createEndpoint({
      endpointName: 'ep',
      endpointConfigName: 'cfg-1',
      deployment: {
        trafficRouting: { type: 'CANARY', waitIntervalInSeconds: 300, canarySize: { type: 'CAPACITY_PERCENT', value: 10 } },
        autoRollbackAlarms: ['ep-5xx'],
      },
    });
    expect(sm.commandCalls(DescribeEndpointConfigCommand)).toHaveLength(2);
    expect(sm.commandCalls(CreateEndpointCommand)[0]!.args[0].input.DeploymentConfig).toEqual({
      BlueGreenUpdatePolicy: {
        TrafficRoutingConfiguration: { Type: 'CANARY', WaitIntervalInSeconds: 300, CanarySize: { Type: 'CAPACITY_PERCENT', Value: 10 } },
      },
      AutoRollbackConfiguration: { Alarms: [{ AlarmName: 'ep-5xx' }] },
    });
  });

  it('waits with steady polling and reports each status', async () => {
    sm.on(DescribeEndpointCommand).resolvesOnce(describe_('Creating')).resolvesOnce(describe_('Creating')).resolves(describe_('InService'));
    const seen: WaitProgress[] = [];
    const d = await target().waitForEndpoint('ep', { pollSeconds: 0.01, maxWaitSeconds: 10, onProgress: (p) => seen.push(p) });
    expect(d.status).toBe('InService');
    expect(seen.map((p) => [p.attempt, p.status])).toEqual([
      [1, 'Creating'],
      [2, 'Creating'],
      [3, 'InService'],
    ]);
    expect(deployedImageMismatches(d, IMAGE)).toEqual([]);
    expect(deployedImageMismatches(d, IMAGE.replace(/a{64}$/, 'b'.repeat(64)))).toHaveLength(1);
  });

  it('fails fast on Failed with FailureReason and the CloudWatch excerpt', async () => {
    sm.on(DescribeEndpointCommand).resolves(
      describe_('Failed', { FailureReason: 'The primary container for production variant AllTraffic did not pass the ping health check.' }),
    );
    logs.on(DescribeLogStreamsCommand).resolves({ logStreams: [{ logStreamName: 'AllTraffic/i-0abc' }] });
    logs.on(GetLogEventsCommand).resolves({ events: [{ message: 'vad-serve failed to start: EADDRINUSE' }] });
    const err = await target()
      .waitForEndpoint('ep', { pollSeconds: 0.01, maxWaitSeconds: 10 })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointFailedError);
    expect((err as EndpointFailedError).failureReason).toMatch(/ping health check/);
    expect((err as EndpointFailedError).logExcerpt).toEqual(['[AllTraffic/i-0abc] vad-serve failed to start: EADDRINUSE']);
    expect(sm.commandCalls(DescribeEndpointCommand)).toHaveLength(1);
    expect(logs.commandCalls(DescribeLogStreamsCommand)[0]!.args[0].input).toMatchObject({
      logGroupName: '/aws/sagemaker/Endpoints/ep',
      orderBy: 'LastEventTime',
      descending: true,
    });
  });

  it('detects a silent rollback after UpdateEndpoint (InService on the old config)', async () => {
    sm.on(DescribeEndpointConfigCommand).resolves({ EndpointConfigName: 'cfg-2', EndpointConfigArn: 'arn:cfg2', ProductionVariants: [] });
    sm.on(UpdateEndpointCommand).resolves({ EndpointArn: 'arn:ep' });
    sm.on(DescribeEndpointCommand)
      .resolvesOnce(describe_('Updating', { PendingDeploymentSummary: { EndpointConfigName: 'cfg-2' } }))
      .resolves(describe_('InService', { EndpointConfigName: 'cfg-1', FailureReason: 'Alarm ep-5xx went off; rolled back' }));
    const t = target();
    await t.updateEndpoint({ endpointName: 'ep', endpointConfigName: 'cfg-2', retainAllVariantProperties: true });
    expect(sm.commandCalls(UpdateEndpointCommand)[0]!.args[0].input).toMatchObject({
      EndpointName: 'ep',
      EndpointConfigName: 'cfg-2',
      RetainAllVariantProperties: true,
    });
    const seen: string[] = [];
    const err = await t
      .waitForEndpoint('ep', { pollSeconds: 0.01, expectedEndpointConfigName: 'cfg-2', onProgress: (p) => seen.push(p.status) })
      .catch((e: unknown) => e);
    expect(seen).toEqual(['Updating', 'InService']);
    expect(err).toBeInstanceOf(SilentRollbackError);
    expect(err).toMatchObject({ requestedEndpointConfigName: 'cfg-2', actualEndpointConfigName: 'cfg-1', failureReason: 'Alarm ep-5xx went off; rolled back' });
  });

  it('gives up after maxWaitSeconds', async () => {
    sm.on(DescribeEndpointCommand).resolves(describe_('Creating'));
    await expect(target().waitForEndpoint('ep', { pollSeconds: 0.02, maxWaitSeconds: 0.05 })).rejects.toBeInstanceOf(WaitTimeoutError);
  });

  it('retries throttling with backoff, and gives up with ThrottlingError', async () => {
    sm.on(DescribeEndpointCommand)
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .rejectsOnce(awsError('ThrottlingException', 'Rate exceeded'))
      .resolves(describe_('InService'));
    expect((await target().describeEndpoint('ep')).status).toBe('InService');
    expect(sm.commandCalls(DescribeEndpointCommand)).toHaveLength(3);

    sm.reset();
    sm.on(DescribeEndpointCommand).rejects(awsError('ThrottlingException', 'Rate exceeded'));
    await expect(target().describeEndpoint('ep')).rejects.toBeInstanceOf(ThrottlingError);
    expect(sm.commandCalls(DescribeEndpointCommand)).toHaveLength(4);
  });

  it('maps control-plane errors to typed classes, without retrying them', async () => {
    sm.on(DescribeEndpointCommand).rejects(awsError('ValidationException', 'Could not find endpoint "ep".'));
    await expect(target().describeEndpoint('ep')).rejects.toBeInstanceOf(NotFoundError);
    expect(sm.commandCalls(DescribeEndpointCommand)).toHaveLength(1);

    sm.on(CreateEndpointConfigCommand).rejects(
      new ResourceLimitExceeded({ message: "The account-level service limit 'ml.g5.xlarge for endpoint usage' is 0 Instances", $metadata: {} }),
    );
    await expect(
      target().createEndpointConfig({ endpointConfigName: 'c', variants: [{ modelName: 'm', instanceType: 'ml.g5.xlarge' }] }),
    ).rejects.toBeInstanceOf(ResourceLimitError);

    sm.on(CreateModelCommand).rejects(awsError('ValidationException', 'Cannot create already existing model "arn:aws:sagemaker:eu-west-1:1:model/m".'));
    const dup = await target()
      .createModel({ modelName: 'm', image: IMAGE, modelDataUrl: 's3://b/k', executionRoleArn: 'r' })
      .catch((e: unknown) => e);
    expect(dup).toBeInstanceOf(ValidationError);
    expect(isAlreadyExists(dup)).toBe(true);
    expect((dup as ValidationError).requestId).toBe('req-1');
  });

  it('lists only resources carrying the tag', async () => {
    sm.on(ListEndpointsCommand).resolves({
      Endpoints: [
        { EndpointName: 'ours', EndpointArn: 'arn:ours', EndpointStatus: 'InService', CreationTime: new Date(), LastModifiedTime: new Date() },
        { EndpointName: 'theirs', EndpointArn: 'arn:theirs', EndpointStatus: 'InService', CreationTime: new Date(), LastModifiedTime: new Date() },
      ],
    });
    sm.on(ListTagsCommand, { ResourceArn: 'arn:ours' }).resolves({ Tags: [{ Key: 'vad-serve:managed', Value: 'true' }] });
    sm.on(ListTagsCommand, { ResourceArn: 'arn:theirs' }).resolves({ Tags: [{ Key: 'team', Value: 'x' }] });
    const r = await target().listTaggedResources({ key: 'vad-serve:managed', kinds: ['endpoint'], nameContains: 'o' });
    expect(r).toEqual([{ kind: 'endpoint', name: 'ours', arn: 'arn:ours', status: 'InService', tags: { 'vad-serve:managed': 'true' } }]);
    expect(sm.commandCalls(ListEndpointsCommand)[0]!.args[0].input).toMatchObject({ NameContains: 'o' });
  });
});

describe('AwsTarget invocation (aws-sdk-client-mock)', () => {
  it('sends the headers and returns the response fields', async () => {
    rt.on(InvokeEndpointCommand).resolves({
      Body: new TextEncoder().encode('{"results":[]}') as never,
      ContentType: 'application/json',
      CustomAttributes: 'trace=1',
      InvokedProductionVariant: 'AllTraffic',
    });
    const r = await target().invoke('ep', '{"frames":[]}', { customAttributes: 'trace=1', sessionId: 'NEW_SESSION', inferenceId: 'req-9' });
    expect(new TextDecoder().decode(r.body)).toBe('{"results":[]}');
    expect(r).toMatchObject({ contentType: 'application/json', customAttributes: 'trace=1', invokedProductionVariant: 'AllTraffic' });
    expect(rt.commandCalls(InvokeEndpointCommand)[0]!.args[0].input).toMatchObject({
      EndpointName: 'ep',
      ContentType: 'application/json',
      Accept: 'application/json',
      CustomAttributes: 'trace=1',
      SessionId: 'NEW_SESSION',
      InferenceId: 'req-9',
    });
  });

  it('surfaces ModelError (424) with the container status, body and log stream', async () => {
    rt.on(InvokeEndpointCommand).rejects(
      new SdkModelError({
        message: 'Received client error (415) from primary with message "{"error":{"code":"unsupported_media_type","message":"send JSON"}}".',
        $metadata: { httpStatusCode: 424 },
        OriginalStatusCode: 415,
        OriginalMessage: '{"error":{"code":"unsupported_media_type","message":"send JSON"}}',
        LogStreamArn: 'arn:aws:logs:eu-west-1:123456789012:log-group:/aws/sagemaker/Endpoints/ep:log-stream:AllTraffic/i-0abc',
      }),
    );
    const err = await target()
      .invoke('ep', 'x', { contentType: 'text/plain' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    const me = err as ModelError;
    expect(me).toMatchObject({ httpStatus: 424, originalStatusCode: 415, endpointName: 'ep' });
    expect(me.containerError).toEqual({ code: 'unsupported_media_type', message: 'send JSON' });
    expect(me.logLocation).toBe(
      'https://eu-west-1.console.aws.amazon.com/cloudwatch/home?region=eu-west-1#logEventViewer:group=/aws/sagemaker/Endpoints/ep;stream=AllTraffic/i-0abc',
    );
    expect(rt.commandCalls(InvokeEndpointCommand)).toHaveLength(1);
  });

  it('refuses > 6 MB before sending and throws on the client deadline', async () => {
    await expect(target().invoke('ep', new Uint8Array(6_291_457))).rejects.toBeInstanceOf(PayloadTooLargeError);
    expect(rt.commandCalls(InvokeEndpointCommand)).toHaveLength(0);
    rt.on(InvokeEndpointCommand).callsFake(() => new Promise(() => undefined));
    const started = Date.now();
    await expect(target().invoke('ep', '{}', { timeoutMs: 50 })).rejects.toBeInstanceOf(InvocationTimeoutError);
    expect(Date.now() - started).toBeLessThan(2000);
  });

  it('a dropped connection (the SDK calls ECONNRESET "TimeoutError") is ServiceUnavailable, not a client timeout', async () => {
    rt.on(InvokeEndpointCommand).rejects(Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: { attempts: 1 } }));
    const err = await target()
      .invoke('ep', '{}')
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ServiceUnavailableError);
    expect((err as Error).message).toMatch(/connection lost before an answer \(ECONNRESET: socket hang up\)/);
  });

  it('streams payload parts and turns a ModelStreamError into StreamError', async () => {
    async function* events() {
      yield { PayloadPart: { Bytes: new TextEncoder().encode('{"frame":1}\n') } };
      yield { ModelStreamError: { Message: 'too slow', ErrorCode: 'ModelInvocationTimeExceeded' } };
    }
    rt.on(InvokeEndpointWithResponseStreamCommand).resolves({ Body: events() as never });
    const parts: string[] = [];
    const err = await (async () => {
      for await (const p of target().invokeStream('ep', '{}')) parts.push(new TextDecoder().decode(p));
    })().catch((e: unknown) => e);
    expect(parts).toEqual(['{"frame":1}\n']);
    expect(err).toBeInstanceOf(StreamError);
    expect((err as StreamError).errorCode).toBe('ModelInvocationTimeExceeded');
  });
});
