import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mockClient } from 'aws-sdk-client-mock';
import { ApplicationAutoScalingClient, PutScalingPolicyCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { DescribeImagesCommand, ECRClient } from '@aws-sdk/client-ecr';
import {
  CompleteMultipartUploadCommand,
  CreateMultipartUploadCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  UploadPartCommand,
} from '@aws-sdk/client-s3';
import { SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ListServiceQuotasCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { DEPLOY_STEPS, DeployConfigSchema, type DeployConfig, type DeployStepId } from '@vad/contracts';
import { createAwsServices, EndpointFailedError, ResourceLimitError, SilentRollbackError, ThrottlingError } from '@vad/sagemaker-client';
import { runDestroy } from './commands/destroy';
import { planDeploy, runDeploy } from './deploy';
import { recordingReporter } from './progress';
import { StateStore } from './state';
import { MemoryTarget } from './testing/memory-target';

/**
 * Control-plane orchestration. There is no local server for the AWS control planes, so S3, ECR,
 * Service Quotas and Application Auto Scaling are aws-sdk-client-mock'ed SDK clients (the real
 * AwsServices code runs against them), and the endpoint lifecycle runs against MemoryTarget, an
 * in-memory SageMaker behind the same EndpointTarget interface the AWS target implements.
 */
const s3 = mockClient(S3Client);
const ecr = mockClient(ECRClient);
const quotas = mockClient(ServiceQuotasClient);
const autoscaling = mockClient(ApplicationAutoScalingClient);
const IMAGE = '123456789012.dkr.ecr.us-east-1.amazonaws.com/vad-serve:v1';
const DIGEST = `sha256:${'d'.repeat(64)}`;

let dir: string;
let objects: Map<string, { size: number; sha256?: string }>;

function awsConfig(extra: Record<string, unknown> = {}): DeployConfig {
  return DeployConfigSchema.parse({
    target: 'aws',
    name: 'vad-test',
    aws: {
      region: 'us-east-1',
      bucket: 'models-bucket',
      roleArn: 'arn:aws:iam::123456789012:role/sm-exec',
      image: { uri: IMAGE },
      instanceType: 'ml.g5.xlarge',
      ...extra,
    },
    smoke: { skip: true },
    stateFile: join(dir, 'state.json'),
    pollSeconds: 15,
  });
}

function world() {
  const target = new MemoryTarget();
  const aws = createAwsServices({
    region: 'us-east-1',
    clients: {
      s3: new S3Client({ region: 'us-east-1' }),
      ecr: new ECRClient({ region: 'us-east-1' }),
      quotas: new ServiceQuotasClient({ region: 'us-east-1' }),
      autoscaling: new ApplicationAutoScalingClient({ region: 'us-east-1' }),
      sagemaker: new SageMakerClient({ region: 'us-east-1' }),
    },
  });
  const store = new StateStore(join(dir, 'state.json'));
  return { target, aws, store };
}

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vad-deployer-spec-'));
  objects = new Map();
  s3.reset();
  ecr.reset();
  quotas.reset();
  autoscaling.reset();
  s3.on(HeadObjectCommand).callsFake((input: { Key: string }) => {
    const o = objects.get(input.Key);
    if (!o) return Promise.reject(Object.assign(new Error('NotFound'), { name: 'NotFound', $metadata: { httpStatusCode: 404 } }));
    return Promise.resolve({ ContentLength: o.size, Metadata: o.sha256 ? { sha256: o.sha256 } : {} });
  });
  s3.on(PutObjectCommand).callsFake((input: { Key: string; Body: AsyncIterable<Uint8Array> | Uint8Array; Metadata?: Record<string, string> }) => {
    const size = input.Body instanceof Uint8Array ? input.Body.byteLength : 0;
    objects.set(input.Key, { size, sha256: input.Metadata?.['sha256'] });
    return Promise.resolve({ ETag: '"e"' });
  });
  s3.on(CreateMultipartUploadCommand).resolves({ UploadId: 'u' });
  s3.on(UploadPartCommand).resolves({ ETag: '"p"' });
  s3.on(CompleteMultipartUploadCommand).resolves({});
  ecr
    .on(DescribeImagesCommand)
    .resolves({ imageDetails: [{ imageDigest: DIGEST, imageManifestMediaType: 'application/vnd.docker.distribution.manifest.v2+json' }] });
  quotas.on(ListServiceQuotasCommand).resolves({ Quotas: [{ QuotaName: 'ml.g5.xlarge for endpoint usage', Value: 2 }] });
  autoscaling.on(RegisterScalableTargetCommand).resolves({});
  autoscaling.on(PutScalingPolicyCommand).resolves({ PolicyARN: 'arn:aws:autoscaling:policy/x' });
});

afterEach(() => rm(dir, { recursive: true, force: true }));

describe('deploy on aws (mocked control plane)', () => {
  it('creates in order with digest-pinned image, digest-keyed artifact and our tags everywhere', async () => {
    const w = world();
    const reporter = recordingReporter();
    const out = await runDeploy(awsConfig(), { ...w, reporter });
    expect(out.action).toBe('create');
    expect(w.target.mutations()).toEqual(['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint']);
    // the config is read back before CreateEndpoint (eventually consistent), then the endpoint is awaited and verified
    expect(w.target.calls.indexOf('DescribeEndpointConfig')).toBeLessThan(w.target.calls.indexOf('CreateEndpoint'));
    const sha = out.plan.modelSha256;
    const model = w.target.models.get(out.names.modelName)!;
    expect(model.spec.image).toBe(`123456789012.dkr.ecr.us-east-1.amazonaws.com/vad-serve@${DIGEST}`);
    expect(model.spec.modelDataUrl).toBe(`s3://models-bucket/vad-serve/models/${sha}/model.tar.gz`);
    expect(model.spec.executionRoleArn).toBe('arn:aws:iam::123456789012:role/sm-exec');
    for (const tags of [model.tags, w.target.configs.get(out.names.endpointConfigName)!.tags, w.target.endpoints.get('vad-test')!.tags]) {
      expect(tags).toMatchObject({ 'vad-serve:managed': 'true', 'vad-serve:endpoint': 'vad-test', 'vad-serve:model-sha256': sha });
    }
    expect(s3.commandCalls(PutObjectCommand)[0]!.args[0].input).toMatchObject({
      Bucket: 'models-bucket',
      Key: `vad-serve/models/${sha}/model.tar.gz`,
      Metadata: { sha256: sha },
    });
    expect(ecr.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({ repositoryName: 'vad-serve', imageIds: [{ imageTag: 'v1' }] });
    expect(out.names.modelName).toMatch(new RegExp(`^vad-test-${out.plan.fingerprint}-\\d{14}$`));
    // Every step up to verify reported done, in the contracts' order (the smoke test is off here).
    expect(reporter.events.filter((e) => e.endsWith(' done')).map((e) => e.split(' ')[0])).toEqual(DEPLOY_STEPS.slice(0, DEPLOY_STEPS.indexOf('verify') + 1));
    const state = JSON.parse(await readFile(w.store.path, 'utf8'));
    expect(state.current.endpointConfigName).toBe(out.names.endpointConfigName);
    expect(state.attempt).toBeUndefined();
  });

  it('plan makes no changes and lists the calls in order', async () => {
    const w = world();
    const ctx = await planDeploy(awsConfig(), w);
    expect(w.target.mutations()).toEqual([]);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
    expect(ctx.plan.action).toBe('create');
    expect(ctx.plan.steps.map((s) => s.id)).toEqual([...DEPLOY_STEPS]);
    const ops = ctx.plan.steps.filter((s) => !s.skip).flatMap((s) => s.calls.map((c) => c.operation));
    expect(ops.filter((o) => /^(Create|Update)/.test(o))).toEqual(['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint']);
  });

  it('re-running an identical deploy changes nothing', async () => {
    const w = world();
    await runDeploy(awsConfig(), w);
    const before = w.target.mutations().length;
    const puts = s3.commandCalls(PutObjectCommand).length;
    const again = await runDeploy(awsConfig(), w);
    expect(again.action).toBe('none');
    expect(w.target.mutations()).toHaveLength(before);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(puts);
    // even without the state file: the endpoint's config name carries the fingerprint
    await rm(w.store.path);
    expect((await runDeploy(awsConfig(), w)).action).toBe('none');
    expect(w.target.mutations()).toHaveLength(before);
  });

  const resumable = DEPLOY_STEPS.filter((s): s is DeployStepId => !['smoke-test', 'autoscale'].includes(s));
  it.each(resumable)('resumes after a crash following step %s without redoing finished steps', async (crashAfter) => {
    const w = world();
    await expect(
      runDeploy(awsConfig(), {
        ...w,
        afterStep: (id) => {
          if (id === crashAfter) throw new Error('crash');
        },
      }),
    ).rejects.toThrow('crash');
    const first = w.target.mutations();
    const resumed = await runDeploy(awsConfig(), w);
    const next = DEPLOY_STEPS[DEPLOY_STEPS.indexOf(crashAfter) + 1];
    if (crashAfter !== 'verify') expect(resumed.resumedFrom).toBe(next === 'pack' ? 'preflight' : next);
    expect(resumed.action).toBe('create');
    // every resource was created exactly once across both runs
    expect([...first, ...w.target.mutations().slice(first.length)]).toEqual(['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint']);
    expect(w.target.endpoints.get('vad-test')).toMatchObject({ status: 'InService', config: resumed.names.endpointConfigName });
    expect(s3.commandCalls(PutObjectCommand).length).toBe(1);
  });

  it('resumes when the crash came after CreateModel succeeded but before the state was written', async () => {
    const w = world();
    w.target.failNext('CreateEndpointConfig', () => new Error('connection reset'));
    await expect(runDeploy(awsConfig(), w)).rejects.toThrow('connection reset');
    const state = JSON.parse(await readFile(w.store.path, 'utf8'));
    expect(state.attempt.failed.step).toBe('create-endpoint-config');
    state.attempt.done = state.attempt.done.filter((d: string) => d !== 'create-model');
    await writeFile(w.store.path, JSON.stringify(state));
    const out = await runDeploy(awsConfig(), w);
    expect(out.resumedFrom).toBe('create-model');
    expect(w.target.mutations()).toEqual(['CreateModel', 'CreateEndpointConfig', 'CreateModel', 'CreateEndpointConfig', 'CreateEndpoint']);
    expect(w.target.models.size).toBe(1);
  });

  it('retries throttling', async () => {
    const w = world();
    w.target.failNext('CreateModel', () => new ThrottlingError('Rate exceeded'), 2);
    w.target.failNext('CreateEndpoint', () => new ThrottlingError('Rate exceeded'), 1);
    const out = await runDeploy(awsConfig(), w);
    expect(out.action).toBe('create');
    expect(w.target.mutations()).toEqual(['CreateModel', 'CreateModel', 'CreateModel', 'CreateEndpointConfig', 'CreateEndpoint', 'CreateEndpoint']);
  });

  it('an endpoint that goes Failed on create is cleaned up, with the reason and log excerpt', async () => {
    const w = world();
    w.target.outcome = 'fail';
    const err = await runDeploy(awsConfig(), w).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointFailedError);
    expect((err as Error).message).toMatch(/did not pass the ping health check[\s\S]*model load failed/);
    expect(w.target.mutations()).toEqual(['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint', 'DeleteEndpoint', 'DeleteEndpointConfig', 'DeleteModel']);
    expect(w.target.endpoints.size + w.target.configs.size + w.target.models.size).toBe(0);
    expect(JSON.parse(await readFile(w.store.path, 'utf8')).attempt).toBeUndefined();
  });

  it('a failed (silently rolled back) update keeps the previous config serving', async () => {
    const w = world();
    const first = await runDeploy(awsConfig(), w);
    w.target.outcome = 'rollback';
    const err = await runDeploy(awsConfig({ env: { VAD_MAX_FRAMES: '32' } }), w).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SilentRollbackError);
    const ep = w.target.endpoints.get('vad-test')!;
    expect(ep).toMatchObject({ status: 'InService', config: first.names.endpointConfigName });
    expect([...w.target.configs.keys()]).toEqual([first.names.endpointConfigName]);
    expect([...w.target.models.keys()]).toEqual([first.names.modelName]);
    const state = JSON.parse(await readFile(w.store.path, 'utf8'));
    expect(state.current.endpointConfigName).toBe(first.names.endpointConfigName);
  });

  it('updates blue/green with traffic shifting and rollback alarms, then collects the old version', async () => {
    const w = world();
    const first = await runDeploy(awsConfig(), w);
    const cfg = awsConfig({
      env: { VAD_MAX_FRAMES: '32' },
      rollout: { strategy: 'canary', stepPercent: 10, waitSeconds: 300, alarms: ['vad-test-5xx'] },
      autoscale: { min: 1, max: 4 },
    });
    const calls: unknown[] = [];
    const update = w.target.updateEndpoint.bind(w.target);
    w.target.updateEndpoint = (spec) => {
      calls.push(spec);
      return update(spec);
    };
    const out = await runDeploy(cfg, w);
    expect(out.action).toBe('update');
    expect(calls[0]).toMatchObject({
      endpointName: 'vad-test',
      endpointConfigName: out.names.endpointConfigName,
      retainAllVariantProperties: true,
      deployment: {
        trafficRouting: { type: 'CANARY', waitIntervalInSeconds: 300, canarySize: { type: 'CAPACITY_PERCENT', value: 10 } },
        autoRollbackAlarms: ['vad-test-5xx'],
      },
    });
    expect(w.target.mutations().slice(3)).toEqual(['CreateModel', 'CreateEndpointConfig', 'UpdateEndpoint', 'DeleteEndpointConfig', 'DeleteModel']);
    expect(w.target.configs.has(first.names.endpointConfigName)).toBe(false);
    expect(autoscaling.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input).toMatchObject({
      ResourceId: 'endpoint/vad-test/variant/AllTraffic',
      MinCapacity: 1,
      MaxCapacity: 4,
    });
    expect(autoscaling.commandCalls(PutScalingPolicyCommand)[0]!.args[0].input).toMatchObject({
      PolicyType: 'TargetTrackingScaling',
      TargetTrackingScalingPolicyConfiguration: { PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' } },
    });
  });

  it('pre-flight stops before anything is created when the instance quota is too small', async () => {
    quotas.on(ListServiceQuotasCommand).resolves({ Quotas: [{ QuotaName: 'ml.g5.xlarge for endpoint usage', Value: 0 }] });
    const w = world();
    await expect(runDeploy(awsConfig(), w)).rejects.toBeInstanceOf(ResourceLimitError);
    expect(w.target.mutations()).toEqual([]);
    expect(s3.commandCalls(PutObjectCommand)).toHaveLength(0);
  });

  it('refuses an OCI image manifest before CreateModel', async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imageManifestMediaType: 'application/vnd.oci.image.manifest.v1+json' }] });
    const w = world();
    await expect(runDeploy(awsConfig(), w)).rejects.toThrow(/provenance=false/);
    expect(w.target.mutations()).toEqual([]);
  });
});

describe('destroy', () => {
  it('deletes only resources carrying our tags', async () => {
    const w = world();
    await runDeploy(awsConfig(), w);
    // someone else's resources in the same account, one of them even sharing a name prefix
    await w.target.createModel({ modelName: 'vad-test-handmade', modelDataUrl: 's3://x/y', tags: { team: 'other' } });
    await w.target.createEndpointConfig({
      endpointConfigName: 'vad-test-handmade',
      variants: [{ modelName: 'vad-test-handmade', instanceType: 'ml.m5.large' }],
    });
    await w.target.createEndpoint({ endpointName: 'other-endpoint', endpointConfigName: 'vad-test-handmade', tags: { 'vad-serve:endpoint': 'vad-test' } });
    const before = w.target.calls.length;
    const out = await runDestroy(awsConfig(), w, w.store);
    const deleted = w.target.calls.slice(before).filter((c) => c.startsWith('Delete'));
    expect(deleted).toEqual(['DeleteEndpoint', 'DeleteEndpointConfig', 'DeleteModel']);
    expect(out).toMatch(/deleted endpoint vad-test/);
    expect([...w.target.models.keys()]).toEqual(['vad-test-handmade']);
    expect([...w.target.endpoints.keys()]).toEqual(['other-endpoint']);
  });

  it('leaves an endpoint with our name but without our tags alone', async () => {
    const w = world();
    await w.target.createModel({ modelName: 'm', modelDataUrl: 's3://x/y' });
    await w.target.createEndpointConfig({ endpointConfigName: 'c', variants: [{ modelName: 'm', instanceType: 'ml.m5.large' }] });
    await w.target.createEndpoint({ endpointName: 'vad-test', endpointConfigName: 'c' });
    const out = await runDestroy(awsConfig(), w, w.store, { all: true });
    expect(out).toMatch(/nothing to destroy/);
    const named = await runDestroy(awsConfig(), w, w.store);
    expect(named).toMatch(/left alone: endpoint vad-test exists but does not carry our tags/);
    expect(w.target.mutations().filter((c) => c.startsWith('Delete'))).toEqual([]);
  });
});
