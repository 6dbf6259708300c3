import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { CloudWatchLogsClient, DescribeLogStreamsCommand, GetLogEventsCommand } from '@aws-sdk/client-cloudwatch-logs';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateEndpointCommand, CreateEndpointConfigCommand, CreateModelCommand, SageMakerClient, UpdateEndpointCommand } from '@aws-sdk/client-sagemaker';
import { ListServiceQuotasCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { DEPLOY_STEPS, DeployConfigSchema, type DeployConfig, type DeployStepId } from '@vad/contracts';
import { AwsTarget, createAwsServices, EndpointFailedError, SilentRollbackError } from '@vad/sagemaker-client';
import { runDestroy } from './commands/destroy';
import { runDeploy } from './deploy';
import { StateStore } from './state';
import { awsError, FakeSageMaker } from './testing/fake-sagemaker';

/**
 * The same orchestration through @vad/sagemaker-client's real AwsTarget, with every SDK client
 * mocked by aws-sdk-client-mock — the control plane has no local server, so FakeSageMaker keeps
 * SageMaker's state and error shapes behind the mocked SageMakerClient.
 */
const sm = mockClient(SageMakerClient);
const s3 = mockClient(S3Client);
const ecr = mockClient(ECRClient);
const quotas = mockClient(ServiceQuotasClient);
const logs = mockClient(CloudWatchLogsClient);
const DIGEST = `sha256:${'e'.repeat(64)}`;
let dir: string;
let fake: FakeSageMaker;

function config(extra: Record<string, unknown> = {}): DeployConfig {
  return DeployConfigSchema.parse({
    target: 'aws',
    name: 'vad-sdk',
    aws: {
      region: 'us-east-1',
      bucket: 'models-bucket',
      roleArn: 'arn:aws:iam::123456789012:role/sm-exec',
      image: { uri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/vad-serve:v2' },
      ...extra,
    },
    smoke: { skip: true },
    stateFile: join(dir, 'state.json'),
  });
}

function deps() {
  const clients = {
    sagemaker: new SageMakerClient({ region: 'us-east-1' }),
    s3: new S3Client({ region: 'us-east-1' }),
    ecr: new ECRClient({ region: 'us-east-1' }),
    quotas: new ServiceQuotasClient({ region: 'us-east-1' }),
    logs: new CloudWatchLogsClient({ region: 'us-east-1' }),
  };
  return {
    target: new AwsTarget({ region: 'us-east-1', clients, retry: { baseDelayMs: 1, maxDelayMs: 2 }, configVisibilityDelayMs: 1 }),
    aws: createAwsServices({ region: 'us-east-1', clients }),
    store: new StateStore(join(dir, 'state.json')),
    pollSeconds: 0.001,
  };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vad-deployer-sdk-'));
  for (const m of [sm, s3, ecr, quotas, logs]) m.reset();
  fake = new FakeSageMaker(sm);
  const stored = new Map<string, { size: number; sha?: string }>();
  s3.on(HeadObjectCommand).callsFake(async (i: { Key: string }) => {
    const o = stored.get(i.Key);
    if (!o) throw awsError('NotFound', 'NotFound', 404);
    return { ContentLength: o.size, Metadata: o.sha ? { sha256: o.sha } : {} };
  });
  s3.on(PutObjectCommand).callsFake(async (i: { Key: string; ContentLength?: number; Metadata?: Record<string, string> }) => {
    stored.set(i.Key, { size: i.ContentLength ?? 0, sha: i.Metadata?.['sha256'] });
    return { ETag: '"e"' };
  });
  ecr
    .on(DescribeImagesCommand)
    .resolves({ imageDetails: [{ imageDigest: DIGEST, imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json' }] });
  quotas.on(ListServiceQuotasCommand).resolves({ Quotas: [{ QuotaName: 'ml.g5.xlarge for endpoint usage', Value: 1 }] });
  logs.on(DescribeLogStreamsCommand).resolves({ logStreams: [{ logStreamName: 'AllTraffic/i-0abc' }] });
  logs.on(GetLogEventsCommand).resolves({ events: [{ message: 'vad-serve failed to start: density.safetensors digest mismatch' }] });
});

afterEach(() => rm(dir, { recursive: true, force: true }));

describe('deploy through AwsTarget (aws-sdk-client-mock)', () => {
  it('sends CreateModel → CreateEndpointConfig → CreateEndpoint with pinned image, S3 model data and tags', async () => {
    const out = await runDeploy(config(), deps());
    expect(fake.mutations()).toEqual(['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint']);
    const model = sm.commandCalls(CreateModelCommand)[0]!.args[0].input;
    expect(model).toMatchObject({
      ModelName: out.names.modelName,
      ExecutionRoleArn: 'arn:aws:iam::123456789012:role/sm-exec',
      PrimaryContainer: {
        Image: `123456789012.dkr.ecr.us-east-1.amazonaws.com/vad-serve@${DIGEST}`,
        ModelDataUrl: `s3://models-bucket/vad-serve/models/${out.plan.modelSha256}/model.tar.gz`,
      },
    });
    expect(model.Tags).toEqual(
      expect.arrayContaining([
        { Key: 'vad-serve:managed', Value: 'true' },
        { Key: 'vad-serve:endpoint', Value: 'vad-sdk' },
      ]),
    );
    expect(sm.commandCalls(CreateEndpointConfigCommand)[0]!.args[0].input).toMatchObject({
      EndpointConfigName: out.names.endpointConfigName,
      ProductionVariants: [
        {
          VariantName: 'AllTraffic',
          ModelName: out.names.modelName,
          InstanceType: 'ml.g5.xlarge',
          InitialInstanceCount: 1,
          ContainerStartupHealthCheckTimeoutInSeconds: 600,
        },
      ],
    });
    expect(sm.commandCalls(CreateEndpointCommand)[0]!.args[0].input).toMatchObject({
      EndpointName: 'vad-sdk',
      EndpointConfigName: out.names.endpointConfigName,
    });
    expect(fake.endpoints.get('vad-sdk')!.status).toBe('InService');
  });

  it('re-running an identical deploy changes nothing', async () => {
    await runDeploy(config(), deps());
    const n = fake.mutations().length;
    expect((await runDeploy(config(), deps())).action).toBe('none');
    expect(fake.mutations()).toHaveLength(n);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(1);
  });

  it.each(DEPLOY_STEPS.filter((s): s is DeployStepId => !['smoke-test', 'autoscale'].includes(s)))('resumes after a crash following %s', async (crashAfter) => {
    await expect(
      runDeploy(config(), {
        ...deps(),
        afterStep: (id) => {
          if (id === crashAfter) throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    const out = await runDeploy(config(), deps());
    expect(out.action).toBe('create');
    expect(fake.mutations()).toEqual(['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint']);
    expect(fake.endpoints.get('vad-sdk')).toMatchObject({ status: 'InService', config: out.names.endpointConfigName });
  });

  it('retries SDK throttling', async () => {
    fake.failNext('CreateEndpointConfig', () => awsError('ThrottlingException', 'Rate exceeded'), 2);
    fake.failNext('DescribeEndpoint', () => awsError('ThrottlingException', 'Rate exceeded'), 1);
    const out = await runDeploy(config(), deps());
    expect(out.endpoint?.status).toBe('InService');
    expect(fake.mutations()).toEqual(['CreateModel', 'CreateEndpointConfig', 'CreateEndpointConfig', 'CreateEndpointConfig', 'CreateEndpoint']);
  });

  it('Failed on create: FailureReason and the container log, then everything it created is deleted', async () => {
    fake.outcome = 'fail';
    const err = await runDeploy(config(), deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointFailedError);
    expect((err as Error).message).toMatch(/did not pass the ping health check[\s\S]*digest mismatch/);
    expect(fake.mutations()).toEqual(['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint', 'DeleteEndpoint', 'DeleteEndpointConfig', 'DeleteModel']);
    expect(fake.endpoints.size + fake.configs.size + fake.models.size).toBe(0);
  });

  it('a rolled-back update is detected and the previous config keeps serving', async () => {
    const first = await runDeploy(config(), deps());
    fake.outcome = 'rollback';
    const err = await runDeploy(config({ instanceCount: 1, env: { VAD_QUEUE: '4' } }), deps()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SilentRollbackError);
    expect(sm.commandCalls(UpdateEndpointCommand)).toHaveLength(1);
    expect(fake.endpoints.get('vad-sdk')).toMatchObject({ status: 'InService', config: first.names.endpointConfigName });
    expect([...fake.configs.keys()]).toEqual([first.names.endpointConfigName]);
    expect([...fake.models.keys()]).toEqual([first.names.modelName]);
  });

  it('destroy deletes only what carries our tags', async () => {
    const d = deps();
    await runDeploy(config(), d);
    fake.models.set('vad-sdk-manual', { input: {} });
    fake.tags.set('arn:aws:sagemaker:us-east-1:123456789012:model/vad-sdk-manual', [{ Key: 'owner', Value: 'someone' }]);
    const before = fake.mutations().length;
    await runDestroy(config(), d, d.store);
    expect(fake.mutations().slice(before)).toEqual(['DeleteEndpoint', 'DeleteEndpointConfig', 'DeleteModel']);
    expect([...fake.models.keys()]).toEqual(['vad-sdk-manual']);
  });
});
