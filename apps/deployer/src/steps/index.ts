import { DEPLOY_STEPS, type DeployStepId } from '@vad/contracts';
import { autoscaleStep } from './autoscale';
import { createEndpointConfigStep } from './create-endpoint-config';
import { createModelStep } from './create-model';
import { imageStep } from './image';
import { packStep } from './pack';
import { preflightStep } from './preflight';
import { rollOutStep } from './roll-out';
import { smokeTestStep } from './smoke-test';
import { uploadStep } from './upload';
import { verifyStep } from './verify';
import { waitStep } from './wait';
import type { DeployStep } from './types';

export type { DeployStep, PlanContext, RunContext, RunRecord, StepPlan } from './types';

/**
 * Every deploy step by id. The type makes a step missing for an id of the contracts'
 * DEPLOY_STEPS (or one without an id there) a compile error: adding a step is one module here
 * plus its id in DEPLOY_STEPS, whose order the runner follows.
 */
const BY_ID: { readonly [Id in DeployStepId]: DeployStep<Id> } = {
  pack: packStep,
  preflight: preflightStep,
  upload: uploadStep,
  image: imageStep,
  'create-model': createModelStep,
  'create-endpoint-config': createEndpointConfigStep,
  'roll-out': rollOutStep,
  wait: waitStep,
  verify: verifyStep,
  'smoke-test': smokeTestStep,
  autoscale: autoscaleStep,
};

/** The steps in DEPLOY_STEPS order: what `plan` lists and `deploy` runs. */
export const DEPLOY_STEP_MODULES: readonly DeployStep[] = DEPLOY_STEPS.map((id) => BY_ID[id] as DeployStep);
