import { z } from 'zod';
import { DeployTargetSchema } from './config';

/**
 * A deploy as an ordered list of steps, each with the control-plane calls it makes. `plan` prints
 * it without making any; `deploy` runs it and records each finished step in the state file, so a
 * crashed deploy resumes at the step that failed.
 */
export const DEPLOY_STEPS = [
  'pack',
  'preflight',
  'upload',
  'image',
  'create-model',
  'create-endpoint-config',
  'roll-out',
  'wait',
  'verify',
  'smoke-test',
  'autoscale',
] as const;
export const DeployStepIdSchema = z.enum(DEPLOY_STEPS);
export type DeployStepId = z.infer<typeof DeployStepIdSchema>;

export const PlannedCallSchema = z
  .object({
    service: z.enum([
      'sagemaker',
      's3',
      'ecr',
      'docker',
      'image-builder',
      'service-quotas',
      'application-autoscaling',
      'cloudwatch-logs',
      'sagemaker-runtime',
      'local',
    ]),
    operation: z.string().min(1),
    input: z.record(z.string(), z.unknown()).default({}),
  })
  .strict();
export type PlannedCall = z.infer<typeof PlannedCallSchema>;

export const PlanStepSchema = z
  .object({
    id: DeployStepIdSchema,
    title: z.string(),
    calls: z.array(PlannedCallSchema),
    /** Why the step will not run (already done in the state file, a given image, …). */
    skip: z.string().optional(),
  })
  .strict();
export type PlanStep = z.infer<typeof PlanStepSchema>;

export const DeployActionSchema = z.enum(['create', 'update', 'none']);
export type DeployAction = z.infer<typeof DeployActionSchema>;

export const DeployPlanSchema = z
  .object({
    target: DeployTargetSchema,
    action: DeployActionSchema,
    endpointName: z.string(),
    modelName: z.string(),
    endpointConfigName: z.string(),
    /** Digest of everything that decides what runs (model bytes, image, instance, env …). */
    fingerprint: z.string().regex(/^[0-9a-f]{10}$/),
    modelSha256: z.string().regex(/^[0-9a-f]{64}$/),
    /** Resuming a crashed attempt: the first step that still has to run. */
    resumeFrom: DeployStepIdSchema.optional(),
    steps: z.array(PlanStepSchema),
  })
  .strict();
export type DeployPlan = z.infer<typeof DeployPlanSchema>;
