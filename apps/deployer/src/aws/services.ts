import type { Autoscale, ImageSource } from '@vad/contracts';

/**
 * The AWS calls a deploy makes besides the endpoint lifecycle (which goes through the
 * EndpointTarget of @vad/sagemaker-client): artifact upload, image resolution/push, quota
 * pre-flight, autoscaling, batch transform. One interface so the orchestration is tested with
 * mocked SDK clients and `plan` can print the calls without making them.
 */
export interface UploadRequest {
  readonly file: string;
  readonly bucket: string;
  readonly key: string;
  readonly sha256: string;
  readonly bytes: number;
  readonly tags: Record<string, string>;
  readonly onProgress?: (done: number, total: number) => void;
}

export interface ResolvedImage {
  /** `<registry>/<repo>@sha256:…` — what CreateModel gets. */
  readonly uri: string;
  readonly digest: string;
  readonly pushed: boolean;
}

export interface QuotaCheck {
  readonly quotaName: string;
  /** undefined when Service Quotas could not be read (no permission): the deploy goes on. */
  readonly value?: number;
  readonly note?: string;
}

export interface TransformJobRequest {
  readonly jobName: string;
  readonly modelName: string;
  readonly inputS3Uri: string;
  readonly outputS3Uri: string;
  /** One type for every record (batch-content-type.ts decides it). */
  readonly contentType: string;
  readonly accept: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly tags: Record<string, string>;
}

export interface AwsServices {
  /** Skips the upload when the object with this digest is already there (same size + sha256 metadata). */
  uploadModel(req: UploadRequest): Promise<{ s3Uri: string; uploaded: boolean }>;
  resolveImage(source: ImageSource, opts: { tags: Record<string, string>; instanceType?: string; onNote?: (line: string) => void; onBytes?: (done: number, total: number) => void }): Promise<ResolvedImage>;
  instanceQuota(instanceType: string): Promise<QuotaCheck>;
  registerAutoscaling(endpointName: string, variant: string, a: Autoscale): Promise<{ policyArn?: string }>;
  deregisterAutoscaling(endpointName: string, variant: string): Promise<void>;
  /** The object keys under an s3://bucket/prefix (at most `max`): the records of a transform job. */
  listInputKeys(s3Uri: string, max: number): Promise<{ keys: string[]; truncated: boolean }>;
  startTransformJob(req: TransformJobRequest): Promise<{ jobArn: string }>;
  describeTransformJob(jobName: string): Promise<{ status: string; failureReason?: string }>;
}

/** The S3 key of a model archive: the digest is in the key, so an object never changes meaning. */
export function modelKey(prefix: string, sha256: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return `${p ? `${p}/` : ''}models/${sha256}/model.tar.gz`;
}
