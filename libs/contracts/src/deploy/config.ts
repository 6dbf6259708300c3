import { z } from 'zod';

/**
 * The deployer's configuration (`deploy.yaml`, env, flags — flags win), validated once. Every
 * field has a default that works on a fresh machine: target `local`, the embedded default model.
 * AWS-only fields are checked when the target is `aws` (deployConfigProblems).
 */

/** SageMaker's name rule (EndpointName, ModelName, EndpointConfigName): ≤ 63, `^[a-zA-Z0-9](-*[a-zA-Z0-9])*$`. */
export const SAGEMAKER_NAME = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;
/** Our base name leaves room for `-<fingerprint 10>-<yyyymmddhhmmss>` within SageMaker's 63 characters. */
export const DEPLOY_NAME_MAX = 36;
export const S3_URI_PREFIX = /^s3:\/\/[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](\/.*)?$/;
const BUCKET = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const ROLE_ARN = /^arn:aws[a-z-]*:iam::\d{12}:role\/[\w+=,.@/-]{1,512}$/;
const REGION = /^[a-z]{2}(-[a-z]+)+-\d$/;
/** ECR image: `<account>.dkr.ecr.<region>.amazonaws.com/<repo>(:tag|@sha256:…)`; SageMaker pulls only from ECR. */
export const ECR_IMAGE = /^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(\.cn)?\/([a-z0-9._/-]+)(?::([\w.-]{1,128})|@(sha256:[0-9a-f]{64}))$/;

export const DeployTargetSchema = z.enum(['local', 'aws']);
export type DeployTarget = z.infer<typeof DeployTargetSchema>;

/** Where the model comes from: the embedded default, a model dir, a model.tar.gz, or anomalib AI-VAD files. */
export const ModelSourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('default') }).strict(),
  z.object({ kind: z.literal('dir'), path: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('tar'), path: z.string().min(1) }).strict(),
  z.object({ kind: z.literal('anomalib'), files: z.array(z.string().min(1)).min(1).max(3) }).strict(),
]);
export type ModelSource = z.infer<typeof ModelSourceSchema>;

/** The container image: a given ECR URI, or `docker build` + push to an ECR repository we create. */
export const ImageSourceSchema = z.union([
  z.object({ uri: z.string().regex(ECR_IMAGE, 'an ECR image URI: <account>.dkr.ecr.<region>.amazonaws.com/<repo>:<tag> or @sha256:<digest>') }).strict(),
  z
    .object({
      build: z
        .object({
          context: z.string().min(1).default('.'),
          dockerfile: z.string().min(1).default('apps/server/Dockerfile'),
          repository: z
            .string()
            .regex(/^[a-z0-9]+([._/-][a-z0-9]+)*$/, 'an ECR repository name (lower case, digits, . _ - /)')
            .default('vad-serve'),
        })
        .strict(),
    })
    .strict(),
]);
export type ImageSource = z.infer<typeof ImageSourceSchema>;

/** Blue/green traffic shifting on UpdateEndpoint (deployment guardrails). */
export const RolloutSchema = z
  .object({
    strategy: z.enum(['all-at-once', 'canary', 'linear']).default('all-at-once'),
    /** Canary size or linear step, in percent of the new fleet's capacity. */
    stepPercent: z.number().int().min(1).max(50).default(10),
    /** Baking time per step (alarms are watched meanwhile). */
    waitSeconds: z.number().int().min(0).max(3600).default(300),
    /** CloudWatch alarms that roll the update back when they fire. */
    alarms: z.array(z.string().min(1).max(255)).max(10).default([]),
    terminationWaitSeconds: z.number().int().min(0).max(3600).default(0),
  })
  .strict();
export type Rollout = z.infer<typeof RolloutSchema>;

export const AutoscaleSchema = z
  .object({
    min: z.number().int().min(0).max(1000),
    max: z.number().int().min(1).max(1000),
    /** Target InvocationsPerInstance (per minute) for target tracking. */
    targetInvocationsPerInstance: z.number().positive().max(1e6).default(60),
    scaleInCooldownSeconds: z.number().int().min(0).max(86400).default(300),
    scaleOutCooldownSeconds: z.number().int().min(0).max(86400).default(60),
  })
  .strict()
  .refine((a) => a.min <= a.max, { message: 'autoscale.min must not exceed autoscale.max', path: ['min'] });
export type Autoscale = z.infer<typeof AutoscaleSchema>;

export const DataCaptureSchema = z
  .object({
    destination: z.string().regex(S3_URI_PREFIX, 'an s3://bucket/prefix URI'),
    samplingPercentage: z.number().int().min(1).max(100).default(100),
  })
  .strict();

export const AwsDeploySchema = z
  .object({
    region: z.string().regex(REGION, 'an AWS region such as us-east-1').optional(),
    bucket: z.string().regex(BUCKET, 'an S3 bucket name').optional(),
    prefix: z
      .string()
      .regex(/^[\w!\-.*'()/]*$/, 'an S3 key prefix')
      .default('vad-serve'),
    image: ImageSourceSchema.optional(),
    roleArn: z.string().regex(ROLE_ARN, 'an IAM role ARN: arn:aws:iam::<account>:role/<name>').optional(),
    instanceType: z
      .string()
      .regex(/^ml\.[a-z0-9]+\.[a-z0-9]+$/, 'a SageMaker instance type such as ml.g5.xlarge')
      .default('ml.g5.xlarge'),
    instanceCount: z.number().int().min(1).max(100).default(1),
    variant: z.string().regex(SAGEMAKER_NAME, 'letters, digits and dashes').max(63).default('AllTraffic'),
    /** Async inference: the endpoint then accepts only async invocations, results written here. */
    asyncOutput: z.string().regex(S3_URI_PREFIX, 'an s3://bucket/prefix URI').optional(),
    dataCapture: DataCaptureSchema.optional(),
    autoscale: AutoscaleSchema.optional(),
    rollout: RolloutSchema.default(RolloutSchema.parse({})),
    /** ContainerStartupHealthCheckTimeoutInSeconds (SageMaker: 60–3600). */
    startupTimeoutSeconds: z.number().int().min(60).max(3600).default(600),
    /** Environment for the server container (≤ 1024 bytes per key and value). */
    env: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*$/)
          .max(1024),
        z.string().max(1024),
      )
      .default({}),
  })
  .strict();
export type AwsDeploy = z.infer<typeof AwsDeploySchema>;

export const LocalDeploySchema = z
  .object({
    /** Where local endpoints record their processes (default: ~/.vad-serve/local). */
    stateDir: z.string().min(1).optional(),
    /** Server workers per local endpoint. */
    workers: z.number().int().min(1).max(16).default(1),
  })
  .strict();

export const DeployConfigSchema = z
  .object({
    target: DeployTargetSchema.default('local'),
    /** The endpoint's name; models and configs are named `<name>-<fingerprint>-<timestamp>`. */
    name: z.string().regex(SAGEMAKER_NAME, 'letters, digits and single dashes, starting with a letter or digit').max(DEPLOY_NAME_MAX).default('vad-serve'),
    model: ModelSourceSchema.default({ kind: 'default' }),
    aws: AwsDeploySchema.default(AwsDeploySchema.parse({})),
    local: LocalDeploySchema.default(LocalDeploySchema.parse({})),
    /** Added to every created resource, next to our own `vad-serve:*` tags. */
    tags: z
      .record(
        z
          .string()
          .min(1)
          .max(128)
          .regex(/^(?!aws:)/, 'must not start with aws:'),
        z.string().max(256),
      )
      .default({}),
    /** Poll interval while waiting (15–30 s on AWS; the local target polls faster). */
    pollSeconds: z.number().min(0.05).max(30).default(20),
    /** Upper bound for one wait (InService, Deleted). */
    maxWaitMinutes: z.number().min(0.1).max(180).default(30),
    /** The smoke test's input: a folder of frames (default: the bundled sample clip). */
    smoke: z
      .object({
        clip: z.string().min(1).optional(),
        /** Where the annotated PNG goes. */
        png: z.string().min(1).default('.vad-deploy/smoke.png'),
        skip: z.boolean().default(false),
      })
      .strict()
      .default({ png: '.vad-deploy/smoke.png', skip: false }),
    /** State file (resume, idempotency); default `.vad-deploy/<target>-<name>.json` under the working dir. */
    stateFile: z.string().min(1).optional(),
  })
  .strict();
export type DeployConfig = z.infer<typeof DeployConfigSchema>;
export type DeployConfigInput = z.input<typeof DeployConfigSchema>;

/** Our tag keys: `destroy` touches only resources that carry `vad-serve:managed=true`. */
export const DEPLOY_TAGS = {
  managed: 'vad-serve:managed',
  endpoint: 'vad-serve:endpoint',
  fingerprint: 'vad-serve:fingerprint',
  modelSha256: 'vad-serve:model-sha256',
} as const;

/**
 * Checks that depend on the target (zod covers the shapes): `aws` needs a bucket, a role and an
 * image. One `path: message` per problem.
 */
export function deployConfigProblems(c: DeployConfig, command: 'deploy' | 'plan' | 'other' = 'deploy'): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  if (c.target !== 'aws' || command === 'other') return out;
  if (!c.aws.region) out.push({ path: 'aws.region', message: 'required for target aws (or set AWS_REGION)' });
  if (!c.aws.bucket) out.push({ path: 'aws.bucket', message: 'required for target aws: the S3 bucket for model.tar.gz (or set VAD_DEPLOY_BUCKET)' });
  if (!c.aws.roleArn)
    out.push({
      path: 'aws.roleArn',
      message: 'required for target aws: the endpoint execution role (or set VAD_DEPLOY_ROLE_ARN); `deployer iam` prints its policy',
    });
  if (!c.aws.image) out.push({ path: 'aws.image', message: 'required for target aws: image.uri (an ECR image) or image.build (docker build + push)' });
  if (c.aws.image && 'uri' in c.aws.image && c.aws.region) {
    const region = ECR_IMAGE.exec(c.aws.image.uri)?.[2];
    if (region && region !== c.aws.region)
      out.push({ path: 'aws.image.uri', message: `the image is in ${region} but the endpoint in ${c.aws.region}: SageMaker pulls only from the same region` });
  }
  if (c.aws.autoscale && c.aws.autoscale.min > c.aws.instanceCount) {
    out.push({ path: 'aws.autoscale.min', message: `${c.aws.autoscale.min} exceeds aws.instanceCount ${c.aws.instanceCount}` });
  }
  if (c.aws.rollout.strategy !== 'all-at-once' && c.aws.rollout.alarms.length === 0) {
    out.push({ path: 'aws.rollout.alarms', message: 'canary/linear rollouts need at least one CloudWatch alarm to roll back on' });
  }
  return out;
}
