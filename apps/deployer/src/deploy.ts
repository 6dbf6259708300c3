import { resolve } from 'node:path';
import {
  VadError,
  type DeployAction,
  type DeployAttempt,
  type DeployConfig,
  type DeployPlan,
  type Deployed,
  type DeployState,
  type DeployStepId,
  type PlanStep,
  type StepOutputs,
} from '@vad/contracts';
import {
  assertLocalOwner,
  EndpointFailedError,
  SilentRollbackError,
  type AwsServices,
  type EndpointDescription,
  type EndpointTarget,
} from '@vad/sagemaker-client';
import { resolveModelArtifact, type ModelArtifact } from './artifact';
import { collectSuperseded, deleteCreatedEndpoint, deleteVersion } from './cleanup';
import { describeOrUndefined } from './endpoint';
import { deployFingerprint, isConfigOf, modelKey, resourceNames, timestampStamp, type ResourceNames } from './naming';
import { silentReporter, type Reporter } from './progress';
import type { SmokeResult } from './smoke';
import { deployTags, imageIdentity, pollInterval } from './specs';
import { DEPLOY_STEP_MODULES, type DeployStep, type PlanContext, type RunContext, type RunRecord } from './steps';
import { plannedImageUri } from './steps/image';
import { artifactsDir, emptyState, type StateStore } from './state';

export { renderPlan } from './plan';
export { containerEnvironment, deploymentSpec, deployTags, endpointConfigSpec, imageIdentity, modelSpec } from './specs';

/**
 * `deploy` and `plan`: one runner over the step modules (steps/), in the contracts' DEPLOY_STEPS
 * order. `planDeploy` asks each step what it would call; `runDeploy` runs them and records each
 * finished step in the state file with its outputs, so:
 * - a crashed deploy resumes at the step that did not finish (same names, same timestamp);
 * - re-running an identical deploy finds the endpoint InService on the same fingerprint and
 *   changes nothing;
 * - a failed create cleans up what it created; a failed (or silently rolled back) update leaves the
 *   previous config serving and removes only the new model and config.
 * Nothing here retries: each AWS call is retried in exactly one layer, inside
 * @vad/sagemaker-client (see its README, "Retries").
 * The runner knows no step by id: what is special about one (runs while planning, still runs when
 * nothing changed, abandons on failure, commits) is a flag on its module.
 */

export interface DeployDeps {
  readonly target: EndpointTarget;
  /** Required for target aws. */
  readonly aws?: AwsServices;
  readonly store: Pick<StateStore, 'path' | 'load' | 'save'>;
  readonly reporter?: Reporter;
  readonly now?: () => Date;
  /** Overrides the poll interval (tests; on AWS the interval is otherwise held to 15–30 s). */
  readonly pollSeconds?: number;
  /** Called after a step is recorded; a throw here simulates a crash (tests). */
  readonly afterStep?: (id: DeployStepId) => void | Promise<void>;
  /** The steps, in order (default: steps/index.ts). Tests insert one to see the runner follows it. */
  readonly steps?: readonly DeployStep[];
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

function planContext(
  config: DeployConfig,
  deps: DeployDeps,
  c: { names: ResourceNames; artifact: ModelArtifact; fingerprint: string; action: DeployAction; endpoint?: EndpointDescription },
): PlanContext {
  const aws = config.target === 'aws';
  return {
    config,
    aws,
    ...c,
    tags: deployTags(config, c.fingerprint, c.artifact.sha256),
    modelDataUrl: aws ? `s3://${config.aws.bucket}/${modelKey(config.aws.prefix, c.artifact.sha256)}` : c.artifact.path,
    ...(aws ? { plannedImageUri: plannedImageUri(config.aws.image, config.aws.region) } : {}),
    controlPlane: aws ? 'sagemaker' : 'local',
    pollSeconds: deps.pollSeconds ?? pollInterval(config),
  };
}

/** Works out what a deploy would do: packs the model (deterministic), reads the state and the endpoint. */
export async function planDeploy(config: DeployConfig, deps: DeployDeps, options: { dryRun?: boolean } = {}): Promise<DeployContext> {
  const reporter = deps.reporter ?? silentReporter;
  const modules = deps.steps ?? DEPLOY_STEP_MODULES;
  const state = (await deps.store.load()) ?? emptyState(config);
  const packStep = reporter.step('pack', 'model.tar.gz');
  let artifact: ModelArtifact;
  try {
    artifact = await resolveModelArtifact(config.model, artifactsDir(deps.store.path), (p) => packStep.bytes(p.done, p.total));
    packStep.done(`${artifact.bytes} bytes, archive sha256 ${artifact.sha256.slice(0, 16)}…`);
  } catch (e) {
    packStep.fail(e);
    throw e;
  }
  const fingerprint = deployFingerprint({ target: config.target, modelSha256: artifact.sha256, image: imageIdentity(config), config });
  let endpointUnknown: string | undefined;
  const endpoint = await describeOrUndefined(deps.target, config.name).catch((e: unknown) => {
    // A dry run still prints what it can without credentials; a deploy must know.
    if (!options.dryRun) throw e;
    endpointUnknown = e instanceof Error ? e.message.split('\n')[0] : String(e);
    return undefined;
  });
  // A local endpoint another workspace deployed (shared state dir) is theirs: neither "already
  // serving" nor ours to update.
  assertLocalOwner(endpoint, deps.store.path, `local endpoint ${config.name}`);

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
  const ctx = planContext(config, deps, { names, artifact, fingerprint, action, endpoint });
  const done = new Set<string>(attempt?.done ?? []);
  const steps: PlanStep[] = modules.map((m) => {
    const s = m.plan(ctx);
    let skip = s.skip;
    if (action === 'none' && !m.duringPlan && !m.whenUnchanged)
      skip = `endpoint ${config.name} already serves ${endpoint!.endpointConfigName} (same model and settings)`;
    else if (done.has(m.id) && !m.duringPlan) skip = 'done in the interrupted attempt (state file)';
    return { id: m.id, title: s.title, calls: s.calls, ...(skip ? { skip } : {}) };
  });
  const resumeFrom = attempt ? modules.find((m) => !done.has(m.id) && !m.duringPlan)?.id : undefined;
  const plan: DeployPlan = {
    target: config.target,
    action,
    endpointName: names.endpointName,
    modelName: names.modelName,
    endpointConfigName: names.endpointConfigName,
    fingerprint,
    modelSha256: artifact.sha256,
    ...(resumeFrom ? { resumeFrom } : {}),
    steps,
  };
  if (!attempt && action !== 'none') {
    attempt = { fingerprint, stamp, action, startedAt: (deps.now?.() ?? new Date()).toISOString(), done: [], outputs: {} };
  }
  return { config, artifact, fingerprint, names, stamp, action, endpoint, state, attempt, plan, ...(endpointUnknown ? { endpointUnknown } : {}) };
}

/** An endpoint failure after the roll-out: the attempt is abandoned rather than left to resume. */
function isTerminal(e: unknown): boolean {
  return e instanceof EndpointFailedError || e instanceof SilentRollbackError || (e instanceof VadError && e.code === 'deploy_failed');
}

export async function runDeploy(config: DeployConfig, deps: DeployDeps): Promise<DeployOutcome> {
  const reporter = deps.reporter ?? silentReporter;
  const target = deps.target;
  const modules = deps.steps ?? DEPLOY_STEP_MODULES;
  if (config.target === 'aws' && !deps.aws) throw new VadError('internal', 'target aws needs the AWS services');
  const ctx = await planDeploy(config, deps);
  const { names, artifact, fingerprint, plan } = ctx;
  let state: DeployState = ctx.state;
  const pollSeconds = deps.pollSeconds ?? pollInterval(config);
  const maxWaitSeconds = config.maxWaitMinutes * 60;
  const record: RunRecord = { action: ctx.action };
  const modelDataUrl = (o: StepOutputs) => o.modelDataUrl ?? (config.target === 'local' ? resolve(artifact.path) : undefined);
  const runContext = (outputs: StepOutputs, report: RunContext['report']): RunContext => ({
    config,
    target,
    ...(deps.aws ? { aws: deps.aws } : {}),
    names,
    artifact,
    tags: deployTags(config, fingerprint, artifact.sha256),
    pollSeconds,
    maxWaitSeconds,
    reporter,
    report,
    outputs,
    record,
    modelDataUrl: () => modelDataUrl(outputs),
  });
  const planned = (id: string) => plan.steps.find((s) => s.id === id)!;

  // A different deploy was interrupted: its model/config are no longer wanted (GC'd after success).
  if (state.attempt && state.attempt.fingerprint !== fingerprint) {
    const o = state.attempt.outputs;
    if (o.modelName)
      state = {
        ...state,
        superseded: [
          ...state.superseded,
          {
            fingerprint: state.attempt.fingerprint,
            modelSha256: o.modelSha256 ?? '',
            modelName: o.modelName,
            endpointConfigName: o.endpointConfigName ?? o.modelName,
            at: state.attempt.startedAt,
          },
        ],
      };
    state = { ...state, attempt: undefined };
  }

  if (ctx.action === 'none') {
    const serving = ctx.endpoint!;
    reporter.info(`endpoint ${names.endpointName} already serves ${serving.endpointConfigName} (same model and settings): nothing to change`);
    if (!state.current || state.current.endpointConfigName !== serving.endpointConfigName) {
      state = {
        ...state,
        current: {
          fingerprint,
          modelSha256: artifact.sha256,
          modelName: names.modelName,
          endpointConfigName: serving.endpointConfigName,
          at: new Date().toISOString(),
          ...(serving.endpointArn ? { endpointArn: serving.endpointArn } : {}),
        },
      };
      await deps.store.save(state);
    }
    // Only what still runs on an unchanged endpoint (the smoke test), and nothing is recorded.
    for (const m of modules.filter((m) => m.whenUnchanged && !planned(m.id).skip)) {
      const report = reporter.step(m.id, planned(m.id).title);
      try {
        report.done((await m.run(runContext({}, report))) || undefined);
      } catch (e) {
        report.fail(e);
        throw e;
      }
    }
    return { plan, action: 'none', names, endpoint: ctx.endpoint, outputs: {}, ...(record.smoke ? { smoke: record.smoke } : {}) };
  }

  let attempt: DeployAttempt = ctx.attempt!;
  const outputs: StepOutputs = { ...attempt.outputs, archive: artifact.path, modelSha256: artifact.sha256 };
  const save = async () => {
    attempt = { ...attempt, action: record.action, outputs: { ...outputs } };
    state = { ...state, attempt };
    await deps.store.save(state);
  };
  const finish = async (id: DeployStepId) => {
    attempt = { ...attempt, done: [...attempt.done.filter((d) => d !== id), id], failed: undefined };
    await save();
    await deps.afterStep?.(id);
  };
  await save();
  if (plan.resumeFrom) reporter.info(`resuming the interrupted deploy of ${names.modelName} at step ${plan.resumeFrom}`);

  /** Undo a failed create (delete what this attempt made) or a failed update (keep the old config serving). */
  const abandon = async (error: unknown): Promise<never> => {
    const created = record.action === 'create';
    reporter.info(
      created
        ? `deploy failed: removing the endpoint, config and model this deploy created`
        : `update failed: ${outputs.previousConfigName ?? 'the previous config'} keeps serving; removing the new config and model`,
    );
    if (created) await deleteCreatedEndpoint(target, names.endpointName, { pollSeconds, maxWaitSeconds }, reporter);
    const now = await describeOrUndefined(target, names.endpointName).catch(() => undefined);
    await deleteVersion(
      target,
      outputs.modelName ?? names.modelName,
      outputs.endpointConfigName ?? names.endpointConfigName,
      now?.endpointConfigName,
      reporter,
    );
    state = { ...state, attempt: undefined };
    await deps.store.save(state);
    throw error;
  };

  /** The new version serves: record it as current, then collect the versions it superseded. */
  const commit = async () => {
    const previous = state.current;
    const dataUrl = modelDataUrl(outputs);
    const deployed: Deployed = {
      fingerprint,
      modelSha256: artifact.sha256,
      modelName: names.modelName,
      endpointConfigName: names.endpointConfigName,
      ...(dataUrl ? { modelDataUrl: dataUrl } : {}),
      ...(outputs.imageUri ? { imageUri: outputs.imageUri } : {}),
      ...(record.endpoint?.endpointArn ? { endpointArn: record.endpoint.endpointArn } : {}),
      at: new Date().toISOString(),
    };
    const superseded = [...state.superseded];
    if (previous && previous.endpointConfigName !== names.endpointConfigName) superseded.push(previous);
    if (
      outputs.previousConfigName &&
      !superseded.some((s) => s.endpointConfigName === outputs.previousConfigName) &&
      outputs.previousConfigName !== previous?.endpointConfigName
    ) {
      superseded.push({
        fingerprint: '',
        modelSha256: '',
        modelName: outputs.previousConfigName,
        endpointConfigName: outputs.previousConfigName,
        at: new Date().toISOString(),
      });
    }
    state = { ...state, current: deployed, superseded };
    await save();
    const kept: Deployed[] = [];
    for (const s of state.superseded) {
      if (!(await collectSuperseded(target, config, s, names.endpointConfigName, reporter))) kept.push(s);
    }
    state = { ...state, superseded: kept };
    await save();
  };

  for (const m of modules) {
    const id = m.id as DeployStepId;
    if (m.duringPlan) {
      await finish(id);
      continue;
    }
    const p = planned(id);
    const report = reporter.step(id, p.title);
    if (p.skip) {
      report.skip(p.skip);
      if (m.commits) await commit();
      continue;
    }
    try {
      try {
        report.done((await m.run(runContext(outputs, report))) || undefined);
      } catch (e) {
        report.fail(e);
        attempt = { ...attempt, failed: { step: id, message: e instanceof Error ? e.message.split('\n')[0]! : String(e), at: new Date().toISOString() } };
        await save().catch(() => undefined);
        throw e;
      }
      await finish(id);
    } catch (e) {
      if (m.abandonOnFailure && isTerminal(e)) await abandon(e);
      throw e;
    }
    if (m.commits) await commit();
  }

  state = { ...state, attempt: undefined };
  await deps.store.save(state);
  return {
    plan,
    action: record.action,
    names,
    endpoint: record.endpoint,
    outputs,
    ...(record.smoke ? { smoke: record.smoke } : {}),
    ...(plan.resumeFrom ? { resumedFrom: plan.resumeFrom } : {}),
  };
}
