import { resolve } from 'node:path';
import {
  DEPLOY_STEPS,
  DEPLOY_TAGS,
  type DeployAction,
  type DeployAttempt,
  type DeployConfig,
  type DeployPlan,
  type Deployed,
  type DeployState,
  type DeployStepId,
  type PlannedCall,
  type PlanStep,
  type StepOutputs,
} from '@vad/contracts';
import { VadError } from '@vad/core';
import {
  EndpointFailedError,
  NotFoundError,
  ResourceLimitError,
  SageMakerClientError,
  SilentRollbackError,
  ValidationError,
  type DeploymentSpec,
  type EndpointConfigSpec,
  type EndpointDescription,
  type EndpointTarget,
  type ModelSpec,
} from '@vad/sagemaker-client';
import { modelKey, type AwsServices } from './aws/services';
import { deployFingerprint, isConfigOf, resourceNames, timestampStamp, type ResourceNames } from './naming';
import { describeWait, silentReporter, type Reporter } from './progress';
import { artifactsDir, emptyState, type StateStore } from './state';
import { preflightArchive, resolveModelArtifact, type ModelArtifact } from './steps/model-artifact';
import { withRetry, type RetryOptions } from './retry';
import { invokeClip, readClip, type SmokeResult } from './steps/smoke-test';

/**
 * `deploy`: model → live endpoint, locally or on SageMaker, as the ordered steps of the contracts'
 * DEPLOY_STEPS. The orchestration only talks to an EndpointTarget (AWS or local) plus, on AWS,
 * the AwsServices (S3, ECR, quotas, autoscaling). Each finished step is recorded in the state file
 * with its outputs, so:
 * - a crashed deploy resumes at the step that did not finish (same names, same timestamp);
 * - re-running an identical deploy finds the endpoint InService on the same fingerprint and
 *   changes nothing;
 * - a failed create cleans up what it created; a failed (or silently rolled back) update leaves the
 *   previous config serving and removes only the new model and config.
 */

export interface DeployDeps {
  readonly target: EndpointTarget;
  /** Required for target aws. */
  readonly aws?: AwsServices;
  readonly store: StateStore;
  readonly reporter?: Reporter;
  readonly now?: () => Date;
  readonly retry?: RetryOptions;
  /** Overrides the poll interval (tests; on AWS the interval is otherwise held to 15–30 s). */
  readonly pollSeconds?: number;
  /** Called after a step is recorded; a throw here simulates a crash (tests). */
  readonly afterStep?: (id: DeployStepId) => void | Promise<void>;
}

export interface DeployContext {
  readonly config: DeployConfig;
  readonly artifact: ModelArtifact;
  readonly fingerprint: string;
  readonly names: ResourceNames;
  readonly stamp: string;
  readonly action: DeployAction;
  readonly endpoint?: EndpointDescription;
  readonly state: DeployState;
  readonly attempt?: DeployAttempt;
  readonly plan: DeployPlan;
  /** `plan` only: why the endpoint's current state could not be read (the plan then assumes create). */
  readonly endpointUnknown?: string;
}

export interface DeployOutcome {
  readonly plan: DeployPlan;
  readonly action: DeployAction;
  readonly names: ResourceNames;
  readonly endpoint?: EndpointDescription;
  readonly outputs: StepOutputs;
  readonly smoke?: SmokeResult;
  readonly resumedFrom?: DeployStepId;
}

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

export function modelSpec(config: DeployConfig, names: ResourceNames, modelDataUrl: string, imageUri: string | undefined, tags: Record<string, string>): ModelSpec {
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
    ...(!local && a.dataCapture ? { dataCapture: { destinationS3Uri: a.dataCapture.destination, initialSamplingPercentage: a.dataCapture.samplingPercentage, captureModes: ['Input', 'Output'] } } : {}),
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

async function describeOrUndefined(target: EndpointTarget, name: string): Promise<EndpointDescription | undefined> {
  try {
    return await target.describeEndpoint(name);
  } catch (e) {
    if (e instanceof NotFoundError) return undefined;
    throw e;
  }
}

function isAlreadyExists(e: unknown): boolean {
  return e instanceof ValidationError && /already exist/i.test(e.message);
}

function stepCalls(config: DeployConfig, ctx: { names: ResourceNames; artifact: ModelArtifact; fingerprint: string; action: DeployAction; endpoint?: EndpointDescription }): Record<DeployStepId, { title: string; calls: PlannedCall[]; skip?: string }> {
  const aws = config.target === 'aws';
  const a = config.aws;
  const tags = deployTags(config, ctx.fingerprint, ctx.artifact.sha256);
  const modelDataUrl = aws ? `s3://${a.bucket}/${modelKey(a.prefix, ctx.artifact.sha256)}` : ctx.artifact.path;
  const image = a.image;
  const imageUri = aws && image ? ('uri' in image ? image.uri.replace(/:[\w.-]+$/, '@sha256:<digest>') : `<account>.dkr.ecr.${a.region}.amazonaws.com/${image.build.repository}@sha256:<digest>`) : undefined;
  const deployment = deploymentSpec(config);
  const call = (service: PlannedCall['service'], operation: string, input: object = {}): PlannedCall => ({ service, operation, input: input as Record<string, unknown> });
  const update = ctx.action === 'update';
  return {
    pack: { title: `model.tar.gz from ${config.model.kind === 'default' ? 'the embedded default model' : config.model.kind}`, calls: [call('local', 'packModelDir', { out: ctx.artifact.path, sha256: ctx.artifact.sha256 })] },
    preflight: {
      title: aws ? 'archive layout and links; instance quota' : 'archive layout and links',
      calls: [
        call('local', 'inspectModel', { archive: ctx.artifact.path }),
        ...(aws ? [call('service-quotas', 'ListServiceQuotas', { ServiceCode: 'sagemaker', QuotaName: `${a.instanceType} for endpoint usage`, needed: a.instanceCount })] : []),
      ],
    },
    upload: aws
      ? { title: `upload to ${modelDataUrl}`, calls: [call('s3', 'HeadObject', { Bucket: a.bucket, Key: modelKey(a.prefix, ctx.artifact.sha256) }), call('s3', 'Upload (multipart)', { Bucket: a.bucket, Key: modelKey(a.prefix, ctx.artifact.sha256), bytes: ctx.artifact.bytes, Tagging: tags })] }
      : { title: 'upload', calls: [], skip: 'local target: the server reads the archive from disk' },
    image: !aws
      ? { title: 'image', calls: [], skip: 'local target: the server runs from this workspace (no Docker)' }
      : image && 'uri' in image
        ? { title: `pin ${image.uri} to its digest`, calls: [call('ecr', 'DescribeImages', { imageUri: image.uri, check: 'manifest is Docker v2, not OCI' })] }
        : {
            title: 'docker build + push to ECR',
            calls: [
              call('docker', 'build', { provenance: false, dockerfile: image?.build.dockerfile, context: image?.build.context }),
              call('ecr', 'CreateRepository', { repositoryName: image?.build.repository, imageTagMutability: 'IMMUTABLE', tags }),
              call('ecr', 'GetAuthorizationToken'),
              call('docker', 'push'),
              call('ecr', 'DescribeImages', { check: 'manifest is Docker v2, not OCI' }),
            ],
          },
    'create-model': { title: `model ${ctx.names.modelName}`, calls: [call(aws ? 'sagemaker' : 'local', 'CreateModel', modelSpec(config, ctx.names, modelDataUrl, imageUri, tags))] },
    'create-endpoint-config': {
      title: `endpoint config ${ctx.names.endpointConfigName}`,
      calls: [call(aws ? 'sagemaker' : 'local', 'CreateEndpointConfig', endpointConfigSpec(config, ctx.names, tags)), call(aws ? 'sagemaker' : 'local', 'DescribeEndpointConfig', { EndpointConfigName: ctx.names.endpointConfigName })],
    },
    'roll-out': {
      title: update ? `update endpoint ${ctx.names.endpointName} (blue/green${deployment?.trafficRouting ? `, ${deployment.trafficRouting.type}` : ''})` : `create endpoint ${ctx.names.endpointName}`,
      calls: [
        call(aws ? 'sagemaker' : 'local', 'DescribeEndpoint', { EndpointName: ctx.names.endpointName }),
        update
          ? call(aws ? 'sagemaker' : 'local', 'UpdateEndpoint', { endpointName: ctx.names.endpointName, endpointConfigName: ctx.names.endpointConfigName, retainAllVariantProperties: !!a.autoscale && aws, ...(deployment ? { deployment } : {}) })
          : call(aws ? 'sagemaker' : 'local', 'CreateEndpoint', { endpointName: ctx.names.endpointName, endpointConfigName: ctx.names.endpointConfigName, ...(deployment ? { deployment } : {}), tags }),
      ],
    },
    wait: {
      title: 'wait until InService',
      calls: [call(aws ? 'sagemaker' : 'local', 'DescribeEndpoint', { EndpointName: ctx.names.endpointName, every: `${aws ? Math.max(15, config.pollSeconds) : Math.min(config.pollSeconds, 0.25)} s`, maxWait: `${config.maxWaitMinutes} min`, failFast: 'Failed → FailureReason + container log excerpt' })],
    },
    verify: {
      title: 'endpoint serves the new config (no silent rollback)',
      calls: [call(aws ? 'sagemaker' : 'local', 'DescribeEndpoint', { EndpointName: ctx.names.endpointName, expect: { EndpointConfigName: ctx.names.endpointConfigName, ResolvedImage: imageUri ?? null } })],
    },
    'smoke-test': config.smoke.skip
      ? { title: 'smoke invoke', calls: [], skip: 'disabled (--no-smoke)' }
      : aws && a.asyncOutput
        ? { title: 'smoke invoke', calls: [], skip: 'async endpoint: use `invoke --async`' }
        : { title: 'invoke the sample clip, write the annotated PNG', calls: [call(aws ? 'sagemaker-runtime' : 'local', 'InvokeEndpoint', { EndpointName: ctx.names.endpointName, ContentType: 'application/json', Accept: 'application/json, then image/png' })] },
    autoscale:
      aws && a.autoscale
        ? {
            title: `autoscale ${a.autoscale.min}–${a.autoscale.max} instances`,
            calls: [
              call('application-autoscaling', 'RegisterScalableTarget', { ServiceNamespace: 'sagemaker', ResourceId: `endpoint/${ctx.names.endpointName}/variant/${a.variant}`, ScalableDimension: 'sagemaker:variant:DesiredInstanceCount', MinCapacity: a.autoscale.min, MaxCapacity: a.autoscale.max }),
              call('application-autoscaling', 'PutScalingPolicy', { PolicyType: 'TargetTrackingScaling', PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance', TargetValue: a.autoscale.targetInvocationsPerInstance }),
            ],
          }
        : { title: 'autoscale', calls: [], skip: aws ? 'no aws.autoscale configured' : 'local target: one process per endpoint' },
  };
}

/** Works out what a deploy would do: packs the model (deterministic), reads the state and the endpoint. */
export async function planDeploy(config: DeployConfig, deps: DeployDeps, options: { dryRun?: boolean } = {}): Promise<DeployContext> {
  const reporter = deps.reporter ?? silentReporter;
  const state = (await deps.store.load()) ?? emptyState(config);
  const packStep = reporter.step('pack', 'model.tar.gz');
  let artifact: ModelArtifact;
  try {
    artifact = await resolveModelArtifact(config.model, artifactsDir(deps.store.path), (p) => packStep.bytes(p.done, p.total));
    packStep.done(`${artifact.bytes} bytes, sha256 ${artifact.sha256.slice(0, 16)}…`);
  } catch (e) {
    packStep.fail(e);
    throw e;
  }
  const fingerprint = deployFingerprint({ target: config.target, modelSha256: artifact.sha256, image: imageIdentity(config), config });
  let endpointUnknown: string | undefined;
  const endpoint = await withRetry(() => describeOrUndefined(deps.target, config.name), deps.retry).catch((e: unknown) => {
    // A dry run still prints what it can without credentials; a deploy must know.
    if (!options.dryRun) throw e;
    endpointUnknown = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return undefined;
  });

  let attempt = state.attempt && state.attempt.fingerprint === fingerprint ? state.attempt : undefined;
  const serving = endpoint && endpoint.status === 'InService' && isConfigOf(endpoint.endpointConfigName, config.name, fingerprint);
  let action: DeployAction;
  let stamp: string;
  if (serving && !attempt) {
    action = 'none';
    stamp = endpoint.endpointConfigName.slice(-14);
  } else if (attempt) {
    action = attempt.action;
    stamp = attempt.stamp;
  } else {
    stamp = timestampStamp(deps.now?.() ?? new Date());
    action = endpoint && endpoint.status !== 'Failed' ? 'update' : 'create';
  }
  const names = resourceNames(config.name, fingerprint, stamp);
  const calls = stepCalls(config, { names, artifact, fingerprint, action, endpoint });
  const done = new Set(attempt?.done ?? []);
  const steps: PlanStep[] = DEPLOY_STEPS.map((id) => {
    const s = calls[id];
    let skip = s.skip;
    if (action === 'none' && id !== 'pack' && id !== 'smoke-test') skip = `endpoint ${config.name} already serves ${endpoint!.endpointConfigName} (same model and settings)`;
    else if (done.has(id) && id !== 'pack') skip = 'done in the interrupted attempt (state file)';
    return { id, title: s.title, calls: s.calls, ...(skip ? { skip } : {}) };
  });
  const resumeFrom = attempt ? DEPLOY_STEPS.find((id) => !done.has(id) && id !== 'pack') : undefined;
  const plan: DeployPlan = { target: config.target, action, endpointName: names.endpointName, modelName: names.modelName, endpointConfigName: names.endpointConfigName, fingerprint, modelSha256: artifact.sha256, ...(resumeFrom ? { resumeFrom } : {}), steps };
  if (!attempt && action !== 'none') {
    attempt = { fingerprint, stamp, action, startedAt: (deps.now?.() ?? new Date()).toISOString(), done: [], outputs: {} };
  }
  return { config, artifact, fingerprint, names, stamp, action, endpoint, state, attempt, plan, ...(endpointUnknown ? { endpointUnknown } : {}) };
}

export function renderPlan(plan: DeployPlan): string {
  const lines = [
    `plan: ${plan.action === 'none' ? 'nothing to change' : plan.action} endpoint ${plan.endpointName} on ${plan.target}${plan.resumeFrom ? ` (resuming at ${plan.resumeFrom})` : ''}`,
    `  model ${plan.modelName}, config ${plan.endpointConfigName}, fingerprint ${plan.fingerprint}, model sha256 ${plan.modelSha256}`,
  ];
  plan.steps.forEach((s, i) => {
    lines.push(`${String(i + 1).padStart(2)}. ${s.id.padEnd(22)} ${s.skip ? `(skip: ${s.skip})` : s.title}`);
    if (!s.skip) for (const c of s.calls) lines.push(`      ${c.service}:${c.operation} ${JSON.stringify(c.input)}`);
  });
  return lines.join('\n');
}

async function bestEffort(what: string, fn: () => Promise<unknown>, reporter: Reporter): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof NotFoundError) return;
    reporter.info(`  cleanup: could not ${what}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

/** Deletes a superseded or failed model + config, never one the endpoint still uses. */
async function deleteVersion(target: EndpointTarget, modelName: string | undefined, configName: string | undefined, inUse: string | undefined, reporter: Reporter, retry?: RetryOptions): Promise<void> {
  if (configName && configName !== inUse) await bestEffort(`delete endpoint config ${configName}`, () => withRetry(() => target.deleteEndpointConfig(configName), retry), reporter);
  if (modelName && modelName !== inUse) await bestEffort(`delete model ${modelName}`, () => withRetry(() => target.deleteModel(modelName), retry), reporter);
}

export async function runDeploy(config: DeployConfig, deps: DeployDeps): Promise<DeployOutcome> {
  const reporter = deps.reporter ?? silentReporter;
  const retry = deps.retry;
  const target = deps.target;
  if (config.target === 'aws' && !deps.aws) throw new VadError('internal', 'target aws needs the AWS services');
  const ctx = await planDeploy(config, deps);
  const { names, artifact, fingerprint, plan } = ctx;
  let state: DeployState = ctx.state;
  const tags = deployTags(config, fingerprint, artifact.sha256);
  // Steady polling (the SDK waiter backs off to an hour between polls): 15–30 s on AWS.
  const pollSeconds = deps.pollSeconds ?? (config.target === 'aws' ? Math.min(30, Math.max(15, config.pollSeconds)) : Math.min(config.pollSeconds, 0.25));
  const maxWaitSeconds = config.maxWaitMinutes * 60;

  // A different deploy was interrupted: its model/config are no longer wanted (GC'd after success).
  if (state.attempt && state.attempt.fingerprint !== fingerprint) {
    const o = state.attempt.outputs;
    if (o.modelName) state = { ...state, superseded: [...state.superseded, { fingerprint: state.attempt.fingerprint, modelSha256: o.modelSha256 ?? '', modelName: o.modelName, endpointConfigName: o.endpointConfigName ?? o.modelName, at: state.attempt.startedAt }] };
    state = { ...state, attempt: undefined };
  }

  if (ctx.action === 'none') {
    reporter.info(`endpoint ${names.endpointName} already serves ${ctx.endpoint!.endpointConfigName} (same model and settings): nothing to change`);
    if (!state.current || state.current.endpointConfigName !== ctx.endpoint!.endpointConfigName) {
      state = { ...state, current: { fingerprint, modelSha256: artifact.sha256, modelName: names.modelName, endpointConfigName: ctx.endpoint!.endpointConfigName, at: new Date().toISOString(), ...(ctx.endpoint!.endpointArn ? { endpointArn: ctx.endpoint!.endpointArn } : {}) } };
      await deps.store.save(state);
    }
    const smoke = await smokeStep(config, target, names.endpointName, reporter);
    return { plan, action: 'none', names, endpoint: ctx.endpoint, outputs: {}, ...(smoke ? { smoke } : {}) };
  }

  let attempt: DeployAttempt = ctx.attempt!;
  const outputs: StepOutputs = { ...attempt.outputs, archive: artifact.path, modelSha256: artifact.sha256 };
  const save = async () => {
    attempt = { ...attempt, outputs: { ...outputs } };
    state = { ...state, attempt };
    await deps.store.save(state);
  };
  const finish = async (id: DeployStepId) => {
    attempt = { ...attempt, done: [...attempt.done.filter((d) => d !== id), id], failed: undefined };
    await save();
    await deps.afterStep?.(id);
  };
  await save();
  if (ctx.plan.resumeFrom) reporter.info(`resuming the interrupted deploy of ${names.modelName} at step ${ctx.plan.resumeFrom}`);

  const modelDataUrl = () => outputs.modelDataUrl ?? (config.target === 'local' ? resolve(artifact.path) : undefined);
  let endpoint: EndpointDescription | undefined;

  /** Undo a failed create (delete what this attempt made) or a failed update (keep the old config serving). */
  const abandon = async (error: unknown): Promise<never> => {
    const created = attempt.action === 'create';
    reporter.info(created ? `deploy failed: removing the endpoint, config and model this deploy created` : `update failed: ${outputs.previousConfigName ?? 'the previous config'} keeps serving; removing the new config and model`);
    if (created) {
      await bestEffort(`delete endpoint ${names.endpointName}`, async () => {
        await withRetry(() => target.deleteEndpoint(names.endpointName), retry);
        await target.waitForEndpointDeleted(names.endpointName, { pollSeconds, maxWaitSeconds });
      }, reporter);
    }
    const now = await describeOrUndefined(target, names.endpointName).catch(() => undefined);
    await deleteVersion(target, outputs.modelName ?? names.modelName, outputs.endpointConfigName ?? names.endpointConfigName, now?.endpointConfigName, reporter, retry);
    state = { ...state, attempt: undefined };
    await deps.store.save(state);
    throw error;
  };

  const run = async (id: DeployStepId, body: (step: ReturnType<Reporter['step']>) => Promise<string | void>): Promise<void> => {
    const planned = plan.steps.find((s) => s.id === id)!;
    if (id === 'pack') return;
    const step = reporter.step(id, planned.title);
    if (planned.skip) {
      step.skip(planned.skip);
      return;
    }
    try {
      const detail = await body(step);
      step.done(detail || undefined);
    } catch (e) {
      step.fail(e);
      attempt = { ...attempt, failed: { step: id, message: e instanceof Error ? e.message.split('\n')[0]! : String(e), at: new Date().toISOString() } };
      await save().catch(() => undefined);
      throw e;
    }
    await finish(id);
  };

  await finish('pack');

  await run('preflight', async (step) => {
    const report = await preflightArchive(artifact.path);
    step.note(`archive ok: ${report.name}, ${report.files.length} files, attributes ${report.attributes.join(', ')}`);
    if (config.target === 'aws') {
      const q = await withRetry(() => deps.aws!.instanceQuota(config.aws.instanceType), retry);
      if (q.value !== undefined && q.value < config.aws.instanceCount) {
        throw new ResourceLimitError(`the account's quota "${q.quotaName}" is ${q.value}, this deploy needs ${config.aws.instanceCount}; request an increase in Service Quotas or pick another aws.instanceType`, { quotaName: q.quotaName, quotaValue: q.value, requested: config.aws.instanceCount });
      }
      step.note(q.value !== undefined ? `quota "${q.quotaName}": ${q.value} ≥ ${config.aws.instanceCount}` : `quota not checked: ${q.note ?? 'unknown'}`);
    }
  });

  await run('upload', async (step) => {
    const a = config.aws;
    const r = await withRetry(
      () => deps.aws!.uploadModel({ file: artifact.path, bucket: a.bucket!, key: modelKey(a.prefix, artifact.sha256), sha256: artifact.sha256, bytes: artifact.bytes, tags, onProgress: (d, t) => step.bytes(d, t) }),
      retry,
    );
    outputs.modelDataUrl = r.s3Uri;
    return r.uploaded ? r.s3Uri : `${r.s3Uri} (already there)`;
  });

  await run('image', async (step) => {
    const r = await withRetry(() => deps.aws!.resolveImage(config.aws.image!, { tags, instanceType: config.aws.instanceType, onNote: (l) => step.note(l), onBytes: (d, t) => step.bytes(d, t) }), retry);
    outputs.imageUri = r.uri;
    return r.uri;
  });

  await run('create-model', async () => {
    const spec = modelSpec(config, names, modelDataUrl()!, outputs.imageUri, tags);
    try {
      outputs.modelArn = (await withRetry(() => target.createModel(spec), retry)).modelArn;
    } catch (e) {
      // Created before a crash that lost the state write: the name is ours (fingerprint + stamp).
      if (!isAlreadyExists(e)) throw e;
      outputs.modelArn = (await withRetry(() => target.describeModel(names.modelName), retry)).modelArn;
    }
    outputs.modelName = names.modelName;
    return outputs.modelArn;
  });

  await run('create-endpoint-config', async () => {
    const spec = endpointConfigSpec(config, names, tags);
    try {
      outputs.endpointConfigArn = (await withRetry(() => target.createEndpointConfig(spec), retry)).endpointConfigArn;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    // CreateEndpoint reads the config eventually consistently: make sure it is visible first.
    const described = await withRetry(() => target.describeEndpointConfig(names.endpointConfigName), { ...retry, retryOn: (e) => e instanceof NotFoundError });
    outputs.endpointConfigArn = described.endpointConfigArn;
    outputs.endpointConfigName = names.endpointConfigName;
    return outputs.endpointConfigArn;
  });

  await run('roll-out', async (step) => {
    const now = await withRetry(() => describeOrUndefined(target, names.endpointName), retry);
    if (now && (now.endpointConfigName === names.endpointConfigName || now.pendingEndpointConfigName === names.endpointConfigName)) {
      return `already rolling out ${names.endpointConfigName} (${now.status})`;
    }
    const deployment = deploymentSpec(config);
    if (now && now.status === 'Failed') {
      // A Failed endpoint can only be deleted (notes §5.4).
      step.note(`endpoint ${names.endpointName} is Failed (${now.failureReason ?? 'no reason'}): deleting it first`);
      await withRetry(() => target.deleteEndpoint(names.endpointName), retry);
      await target.waitForEndpointDeleted(names.endpointName, { pollSeconds, maxWaitSeconds });
    }
    if (!now || now.status === 'Failed') {
      attempt = { ...attempt, action: 'create' };
      outputs.endpointArn = (await withRetry(() => target.createEndpoint({ endpointName: names.endpointName, endpointConfigName: names.endpointConfigName, ...(deployment ? { deployment } : {}), tags }), retry)).endpointArn;
      return `CreateEndpoint ${names.endpointName}`;
    }
    attempt = { ...attempt, action: 'update' };
    outputs.previousConfigName = now.endpointConfigName;
    outputs.endpointArn = (
      await withRetry(
        () => target.updateEndpoint({ endpointName: names.endpointName, endpointConfigName: names.endpointConfigName, retainAllVariantProperties: config.target === 'aws' && !!config.aws.autoscale, ...(deployment ? { deployment } : {}) }),
        retry,
      )
    ).endpointArn;
    return `UpdateEndpoint ${names.endpointName}: ${now.endpointConfigName} → ${names.endpointConfigName}`;
  });

  try {
    await run('wait', async (step) => {
      endpoint = await target.waitForEndpoint(names.endpointName, {
        pollSeconds,
        maxWaitSeconds,
        expectedEndpointConfigName: names.endpointConfigName,
        onProgress: (p) => step.note(describeWait(p)),
      });
      return `InService on ${endpoint.endpointConfigName}`;
    });
    await run('verify', async (step) => {
      endpoint = await withRetry(() => target.describeEndpoint(names.endpointName), retry);
      if (endpoint.endpointConfigName !== names.endpointConfigName) {
        throw new SilentRollbackError(names.endpointName, names.endpointConfigName, endpoint.endpointConfigName, endpoint.failureReason);
      }
      if (endpoint.status !== 'InService') throw new EndpointFailedError(names.endpointName, endpoint.status, endpoint.failureReason ?? 'not InService after the wait');
      const digest = outputs.imageUri?.split('@')[1];
      const resolved = endpoint.variants.flatMap((v) => v.deployedImages.map((d) => d.resolvedImage)).filter((x): x is string => !!x);
      if (digest && resolved.length > 0 && !resolved.some((r) => r.endsWith(digest))) {
        throw new VadError('deploy_failed', `endpoint ${names.endpointName} runs ${resolved.join(', ')}, not the pushed ${digest}`);
      }
      // No DeployedImages (moto; an endpoint that has not resolved its image yet): say so, never a silent pass.
      const unverified = digest && resolved.length === 0 ? `image ${digest} NOT verified: DescribeEndpoint returned no DeployedImages` : undefined;
      if (unverified) step.note(unverified);
      return `serves ${endpoint.endpointConfigName}${resolved.length > 0 ? ` (${resolved[0]})` : ''}${unverified ? ` (${unverified})` : ''}`;
    });
  } catch (e) {
    const terminal = e instanceof EndpointFailedError || e instanceof SilentRollbackError || (e instanceof VadError && e.code === 'deploy_failed');
    if (terminal) await abandon(e);
    throw e;
  }

  // Committed: the endpoint serves the new version. The previous one is superseded and collected.
  const previous = state.current;
  const deployed: Deployed = {
    fingerprint,
    modelSha256: artifact.sha256,
    modelName: names.modelName,
    endpointConfigName: names.endpointConfigName,
    ...(outputs.modelDataUrl || config.target === 'local' ? { modelDataUrl: modelDataUrl() } : {}),
    ...(outputs.imageUri ? { imageUri: outputs.imageUri } : {}),
    ...(endpoint?.endpointArn ? { endpointArn: endpoint.endpointArn } : {}),
    at: new Date().toISOString(),
  };
  const superseded = [...state.superseded];
  if (previous && previous.endpointConfigName !== names.endpointConfigName) superseded.push(previous);
  if (outputs.previousConfigName && !superseded.some((s) => s.endpointConfigName === outputs.previousConfigName) && outputs.previousConfigName !== previous?.endpointConfigName) {
    superseded.push({ fingerprint: '', modelSha256: '', modelName: outputs.previousConfigName, endpointConfigName: outputs.previousConfigName, at: new Date().toISOString() });
  }
  state = { ...state, current: deployed, superseded };
  await save();
  const kept: Deployed[] = [];
  for (const s of state.superseded) {
    const gone = await collect(target, config, s, names.endpointConfigName, reporter, retry);
    if (!gone) kept.push(s);
  }
  state = { ...state, superseded: kept };
  await save();

  let smoke: SmokeResult | undefined;
  await run('smoke-test', async () => {
    smoke = await smokeStep(config, target, names.endpointName, reporter, false);
    if (smoke) outputs.smoke = { worstFrame: smoke.worst.frame, worstScore: smoke.worst.score, latencyMs: smoke.latencyMs, ...(smoke.png ? { png: smoke.png } : {}) };
    return smoke ? `${smoke.scores.length} frames scored in ${smoke.latencyMs} ms` : undefined;
  });

  await run('autoscale', async () => {
    const r = await withRetry(() => deps.aws!.registerAutoscaling(names.endpointName, config.aws.variant, config.aws.autoscale!), retry);
    return r.policyArn;
  });

  state = { ...state, attempt: undefined };
  await deps.store.save(state);
  return { plan, action: attempt.action, names, endpoint, outputs, ...(smoke ? { smoke } : {}), ...(plan.resumeFrom ? { resumedFrom: plan.resumeFrom } : {}) };
}

/**
 * Garbage-collects a superseded version: only resources that carry our managed tag for this
 * endpoint, never the config that serves. Returns whether nothing of it is left.
 */
async function collect(target: EndpointTarget, config: DeployConfig, s: Deployed, serving: string, reporter: Reporter, retry?: RetryOptions): Promise<boolean> {
  if (s.endpointConfigName === serving || s.modelName === serving) return true;
  const ours = await withRetry(() => target.listTaggedResources({ key: DEPLOY_TAGS.endpoint, value: config.name }), retry).catch(() => [] as { name: string; tags: Record<string, string> }[]);
  const tagged = new Set(ours.filter((r) => r.tags[DEPLOY_TAGS.managed] === 'true').map((r) => r.name));
  try {
    if (tagged.has(s.endpointConfigName)) await withRetry(() => target.deleteEndpointConfig(s.endpointConfigName), retry).catch((e) => { if (!(e instanceof NotFoundError)) throw e; });
    if (tagged.has(s.modelName)) await withRetry(() => target.deleteModel(s.modelName), retry).catch((e) => { if (!(e instanceof NotFoundError)) throw e; });
    return true;
  } catch (e) {
    reporter.info(`  kept superseded ${s.endpointConfigName} for now: ${e instanceof SageMakerClientError ? e.message.split('\n')[0] : String(e)}`);
    return false;
  }
}

async function smokeStep(config: DeployConfig, target: EndpointTarget, endpointName: string, reporter: Reporter, report = true): Promise<SmokeResult | undefined> {
  if (config.smoke.skip || (config.target === 'aws' && config.aws.asyncOutput)) return undefined;
  const step = report ? reporter.step('smoke-test', 'invoke the sample clip, write the annotated PNG') : undefined;
  try {
    const clip = await readClip(config.smoke.clip);
    const r = await invokeClip(target, endpointName, clip, resolve(config.smoke.png));
    step?.done(`${r.scores.length} frames scored in ${r.latencyMs} ms`);
    return r;
  } catch (e) {
    step?.fail(e);
    throw e;
  }
}
