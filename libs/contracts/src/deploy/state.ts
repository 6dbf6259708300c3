import { z } from 'zod';
import { DeployTargetSchema } from './config';
import { DeployActionSchema, DeployStepIdSchema } from './plan';

/**
 * The deployer's state file: what serves now, and the attempt in progress with the outputs of each
 * finished step. Written after every step (atomic rename), so a crash loses at most the step that
 * was running.
 */
export const StepOutputsSchema = z
  .object({
    archive: z.string().optional(),
    modelSha256: z.string().optional(),
    modelDataUrl: z.string().optional(),
    imageUri: z.string().optional(),
    modelName: z.string().optional(),
    modelArn: z.string().optional(),
    endpointConfigName: z.string().optional(),
    endpointConfigArn: z.string().optional(),
    endpointArn: z.string().optional(),
    /** The config that served before an update (what a failed update must leave serving). */
    previousConfigName: z.string().optional(),
    smoke: z.record(z.string(), z.unknown()).optional(),
  })
  .strict();
export type StepOutputs = z.infer<typeof StepOutputsSchema>;

export const DeployedSchema = z
  .object({
    fingerprint: z.string(),
    modelSha256: z.string(),
    modelName: z.string(),
    endpointConfigName: z.string(),
    modelDataUrl: z.string().optional(),
    imageUri: z.string().optional(),
    endpointArn: z.string().optional(),
    at: z.string(),
  })
  .strict();
export type Deployed = z.infer<typeof DeployedSchema>;

export const DeployAttemptSchema = z
  .object({
    fingerprint: z.string(),
    /** The `yyyymmddhhmmss` in this attempt's resource names, kept across resumes. */
    stamp: z.string().regex(/^\d{14}$/),
    action: DeployActionSchema,
    startedAt: z.string(),
    done: z.array(DeployStepIdSchema),
    outputs: StepOutputsSchema,
    failed: z.object({ step: DeployStepIdSchema, message: z.string(), at: z.string() }).strict().optional(),
  })
  .strict();
export type DeployAttempt = z.infer<typeof DeployAttemptSchema>;

export const DeployStateSchema = z
  .object({
    version: z.literal(1),
    target: DeployTargetSchema,
    endpointName: z.string(),
    region: z.string().optional(),
    current: DeployedSchema.optional(),
    attempt: DeployAttemptSchema.optional(),
    /** Superseded deploys whose models/configs `destroy` (or the next deploy) may delete. */
    superseded: z.array(DeployedSchema).default([]),
  })
  .strict();
export type DeployState = z.infer<typeof DeployStateSchema>;
