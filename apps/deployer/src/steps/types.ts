import type { DeployAction, DeployConfig, DeployStepId, PlannedCall, StepOutputs } from '@vad/contracts';
import type { AwsServices, EndpointDescription, EndpointTarget } from '@vad/sagemaker-client';
import type { ModelArtifact } from '../artifact';
import type { ResourceNames } from '../naming';
import type { Reporter, StepReport } from '../progress';
import type { SmokeResult } from '../smoke';

/**
 * One deploy step: what `plan` prints (`plan`) and what `deploy` does (`run`), side by side in
 * one module `steps/<id>.ts`. The runner (deploy.ts) walks the registry (steps/index.ts) in the
 * contracts' DEPLOY_STEPS order for both, so a plan and the deploy it describes cannot disagree.
 */
export interface StepPlan {
  readonly title: string;
  readonly calls: PlannedCall[];
  /** Why the step will not run for this config (local target, no autoscale, …). */
  readonly skip?: string;
}

/** What every step's `plan` sees: the config and the names, digests and tags of this deploy. */
export interface PlanContext {
  readonly config: DeployConfig;
  /** config.target === 'aws'. */
  readonly aws: boolean;
  readonly names: ResourceNames;
  readonly artifact: ModelArtifact;
  readonly fingerprint: string;
  readonly action: DeployAction;
  readonly endpoint?: EndpointDescription;
  readonly tags: Record<string, string>;
  /** CreateModel's ModelDataUrl: the S3 URI on aws, the archive path on local. */
  readonly modelDataUrl: string;
  /** The image CreateModel will get, its digest not known yet (`…@sha256:<digest>`); aws only. */
  readonly plannedImageUri?: string;
  /** The service the endpoint lifecycle calls go to. */
  readonly controlPlane: 'sagemaker' | 'local';
  /** Seconds between status polls (the same the run uses). */
  readonly pollSeconds: number;
}

/** What a run of this attempt has found out so far, shared by the steps (not persisted). */
export interface RunRecord {
  /** roll-out decides between create and update from the endpoint it finds. */
  action: DeployAction;
  endpoint?: EndpointDescription;
  smoke?: SmokeResult;
}

export interface RunContext {
  readonly config: DeployConfig;
  readonly target: EndpointTarget;
  /** Present for target aws. */
  readonly aws?: AwsServices;
  readonly names: ResourceNames;
  readonly artifact: ModelArtifact;
  readonly tags: Record<string, string>;
  readonly pollSeconds: number;
  readonly maxWaitSeconds: number;
  readonly reporter: Reporter;
  /** This step's progress line (bytes, notes). */
  readonly report: StepReport;
  /** The attempt's outputs (from this run and the interrupted one); a step records its own here. */
  readonly outputs: StepOutputs;
  readonly record: RunRecord;
  /** CreateModel's ModelDataUrl: the uploaded S3 URI on aws, the archive's absolute path on local. */
  readonly modelDataUrl: () => string | undefined;
}

export interface DeployStep<Id extends string = DeployStepId> {
  readonly id: Id;
  plan(ctx: PlanContext): StepPlan;
  /** Does the step; the returned text is the step's `done` line. */
  run(ctx: RunContext): Promise<string | void>;
  /** Runs while planning (the archive's digest names everything else): the runner only records it. */
  readonly duringPlan?: boolean;
  /** Still runs when the endpoint already serves this exact deploy (the smoke test). */
  readonly whenUnchanged?: boolean;
  /** An endpoint failure in this step abandons the attempt (a create is deleted, an update's old config keeps serving). */
  readonly abandonOnFailure?: boolean;
  /** Once this step is done the new version serves: the runner records it and collects superseded versions. */
  readonly commits?: boolean;
}

export function plannedCall(service: PlannedCall['service'], operation: string, input: object = {}): PlannedCall {
  return { service, operation, input: input as Record<string, unknown> };
}
