import { spawn } from 'node:child_process';
import { ECR_IMAGE, VadError, type Autoscale, type ImageSource } from '@vad/contracts';
import { NotFoundError } from '../errors';
import { putTargetTracking, removeTargetTracking } from './autoscaling';
import { createTransformJob, describeTransformJob } from './batch';
import { createAwsClients, type AwsClients } from './clients';
import { ecrLogin, ensureRepository, pinImage } from './ecr';
import { readInstanceQuota, type QuotaReading } from './quotas';
import { buildAndPushDaemonless, dockerOnPath, wantsDaemonless } from './daemonless-image';
import { listS3Keys } from './s3-list';
import { uploadArtifact } from './s3-upload';

/**
 * The AWS calls a deploy makes besides the endpoint lifecycle (which goes through an
 * EndpointTarget): artifact upload, image resolution/push, quota pre-flight, autoscaling, batch
 * transform. One interface, so the deployer is tested with mocked SDK clients and `plan` can
 * print the calls without making them.
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

export interface TransformJobRequest {
  readonly jobName: string;
  readonly modelName: string;
  readonly inputS3Uri: string;
  readonly outputS3Uri: string;
  /** One type for every record (the deployer's batch-content-type.ts decides it). */
  readonly contentType: string;
  readonly accept: string;
  readonly instanceType: string;
  readonly instanceCount: number;
  readonly tags: Record<string, string>;
}

export interface AwsServices {
  /** Skips the upload when the object with this digest is already there (same size + sha256 metadata). */
  uploadModel(req: UploadRequest): Promise<{ s3Uri: string; uploaded: boolean }>;
  /** `instanceType` picks the variant a build makes (ml.g…, ml.p… → gpu; else cpu). */
  resolveImage(
    source: ImageSource,
    opts: { tags: Record<string, string>; instanceType?: string; onNote?: (line: string) => void; onBytes?: (done: number, total: number) => void },
  ): Promise<ResolvedImage>;
  /** The endpoint-usage quota of the instance type, as data (a note when it cannot be read). */
  instanceQuota(instanceType: string): Promise<QuotaReading>;
  registerAutoscaling(endpointName: string, variant: string, a: Autoscale): Promise<{ policyArn?: string }>;
  deregisterAutoscaling(endpointName: string, variant: string): Promise<void>;
  /** The object keys under an s3://bucket/prefix (at most `max`): the records of a transform job. */
  listInputKeys(s3Uri: string, max: number): Promise<{ keys: string[]; truncated: boolean }>;
  startTransformJob(req: TransformJobRequest): Promise<{ jobArn: string }>;
  describeTransformJob(jobName: string): Promise<{ status: string; failureReason?: string }>;
}

/**
 * AwsServices over this lib's AWS helpers (which translate SDK errors once into its typed
 * classes). Clients are shared with the AwsTarget and injectable, so tests drive them with
 * aws-sdk-client-mock (there is no local server for these control planes).
 */
export type Docker = (args: string[], input?: string, onLine?: (line: string) => void) => Promise<string>;

function runDocker(args: string[], input?: string, onLine?: (line: string) => void): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    const lines = (chunk: Buffer, sink: (s: string) => void) => {
      const s = chunk.toString();
      sink(s);
      for (const l of s.split('\n')) if (l.trim()) onLine?.(l.trim().slice(0, 160));
    };
    child.stdout.on('data', (c: Buffer) => lines(c, (s) => (out += s)));
    child.stderr.on('data', (c: Buffer) => lines(c, (s) => (err = (err + s).slice(-4000))));
    child.on('error', (e) =>
      reject(new VadError('deploy_failed', `docker is not available (${e.message}); give an image with aws.image.uri / --image instead of building`)),
    );
    child.on('close', (code) =>
      code === 0
        ? resolve(out)
        : reject(new VadError('deploy_failed', `docker ${args[0]} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`)),
    );
    child.stdin.end(input ?? '');
  });
}

export function createAwsServices(options: { region: string; clients?: Partial<AwsClients>; docker?: Docker }): AwsServices {
  const c = createAwsClients({ region: options.region, clients: options.clients });
  const docker = options.docker ?? runDocker;

  return {
    async uploadModel(req: UploadRequest) {
      // uploadArtifact keys by digest: <prefix>/<sha256>/model.tar.gz, i.e. modelKey(prefix, sha).
      const prefix = req.key.slice(0, req.key.length - `/${req.sha256}/model.tar.gz`.length);
      const r = await uploadArtifact({
        client: c.s3,
        bucket: req.bucket,
        prefix,
        file: req.file,
        tags: req.tags,
        onProgress: (p) => req.onProgress?.(p.loaded, p.total),
      });
      if (r.sha256 !== req.sha256)
        throw new VadError('digest_mismatch', `${req.file} changed while it was uploaded (sha256 ${r.sha256}, expected ${req.sha256})`);
      return { s3Uri: r.uri, uploaded: !r.skipped };
    },

    async resolveImage(source: ImageSource, opts) {
      if ('uri' in source) {
        const m = ECR_IMAGE.exec(source.uri)!;
        const registry = source.uri.slice(0, source.uri.indexOf('/'));
        // by digest when the URI carries one, else by tag
        const p = await pinImage(c.ecr, `${registry}/${m[4]}`, m[6] ?? m[5]!);
        return { uri: p.imageUri, digest: p.imageDigest, pushed: false };
      }
      const b = source.build;
      // No Docker engine (or VAD_IMAGE_BUILDER=daemonless): the same layer plan, assembled and pushed by
      // @vad/image-builder. A Docker runner given by the caller counts as an engine.
      if (wantsDaemonless(process.env, () => options.docker !== undefined || dockerOnPath()))
        return buildAndPushDaemonless({
          ecr: c.ecr,
          repository: b.repository,
          context: b.context,
          instanceType: opts.instanceType ?? 'ml.g5.xlarge',
          tags: opts.tags,
          onNote: opts.onNote,
        });
      const local = 'vad-serve-deployer-build:latest';
      opts.onNote?.(`docker buildx build --provenance=false -f ${b.dockerfile} ${b.context}`);
      // --provenance=false + --output type=docker: a Docker v2 manifest, which CreateModel accepts (OCI it rejects).
      await docker(['buildx', 'build', '--provenance=false', '--output', 'type=docker', '-f', b.dockerfile, '-t', local, b.context], undefined, opts.onNote);
      const id = (await docker(['image', 'inspect', '--format', '{{.Id}}', local])).trim().replace(/^sha256:/, '');
      // Immutable tags: the tag names the image content, so a re-run never overwrites one.
      const tag = `img-${id.slice(0, 16)}`;
      const repo = await ensureRepository(c.ecr, b.repository, opts.tags);
      try {
        const p = await pinImage(c.ecr, repo.repositoryUri, tag);
        return { uri: p.imageUri, digest: p.imageDigest, pushed: false };
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
      }
      const login = await ecrLogin(c.ecr);
      await docker(['login', '--username', login.username, '--password-stdin', login.proxyEndpoint], login.password);
      const remote = `${repo.repositoryUri}:${tag}`;
      await docker(['tag', local, remote]);
      opts.onNote?.(`docker push ${remote}`);
      await docker(['push', remote], undefined, opts.onNote);
      const p = await pinImage(c.ecr, repo.repositoryUri, tag);
      return { uri: p.imageUri, digest: p.imageDigest, pushed: true };
    },

    instanceQuota(instanceType: string): Promise<QuotaReading> {
      return readInstanceQuota(c.quotas, instanceType);
    },

    async registerAutoscaling(endpointName: string, variant: string, a: Autoscale) {
      const r = await putTargetTracking(c.autoscaling, {
        endpointName,
        variantName: variant,
        minInstances: a.min,
        maxInstances: a.max,
        targetInvocationsPerInstance: a.targetInvocationsPerInstance,
        scaleInCooldownSeconds: a.scaleInCooldownSeconds,
        scaleOutCooldownSeconds: a.scaleOutCooldownSeconds,
      });
      return r.policyArn ? { policyArn: r.policyArn } : {};
    },

    async deregisterAutoscaling(endpointName: string, variant: string) {
      await removeTargetTracking(c.autoscaling, endpointName, variant);
    },

    listInputKeys(s3Uri: string, max: number) {
      return listS3Keys(c.s3, s3Uri, max);
    },

    async startTransformJob(req: TransformJobRequest) {
      const r = await createTransformJob(c.sagemaker, {
        jobName: req.jobName,
        modelName: req.modelName,
        inputS3Uri: req.inputS3Uri,
        outputS3Uri: req.outputS3Uri,
        contentType: req.contentType,
        accept: req.accept,
        instanceType: req.instanceType,
        instanceCount: req.instanceCount,
        invocationsTimeoutInSeconds: 600,
        tags: req.tags,
      });
      return { jobArn: r.transformJobArn || req.jobName };
    },

    async describeTransformJob(jobName: string) {
      const d = await describeTransformJob(c.sagemaker, jobName);
      return { status: d.status, ...(d.failureReason ? { failureReason: d.failureReason } : {}) };
    },
  };
}
