import { spawn } from 'node:child_process';
import { DescribeImagesCommand } from '@aws-sdk/client-ecr';
import { ECR_IMAGE, VadError, type Autoscale, type ImageSource } from '@vad/contracts';
import {
  checkInstanceQuota,
  createAwsClients,
  createTransformJob,
  describeTransformJob,
  DOCKER_V2_MANIFEST,
  ecrLogin,
  ensureRepository,
  listS3Keys,
  mapAwsError,
  NotFoundError,
  pinImage,
  putTargetTracking,
  removeTargetTracking,
  ResourceLimitError,
  UnsupportedManifestError,
  uploadArtifact,
  type AwsClients,
} from '@vad/sagemaker-client';
import { buildAndPushDaemonless, dockerOnPath, wantsDaemonless } from './daemonless-image';
import type { AwsServices, QuotaCheck, ResolvedImage, TransformJobRequest, UploadRequest } from './services';

/**
 * AwsServices over @vad/sagemaker-client's AWS helpers (which translate SDK errors once into its
 * typed classes). Clients are shared with the AwsTarget and injectable, so tests drive them with
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
    child.on('error', (e) => reject(new VadError('deploy_failed', `docker is not available (${e.message}); give an image with aws.image.uri / --image instead of building`)));
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new VadError('deploy_failed', `docker ${args[0]} failed (exit ${code}): ${err.trim().split('\n').slice(-3).join(' | ')}`))));
    child.stdin.end(input ?? '');
  });
}

export function createAwsServices(options: { region: string; clients?: Partial<AwsClients>; docker?: Docker }): AwsServices {
  const c = createAwsClients({ region: options.region, clients: options.clients });
  const docker = options.docker ?? runDocker;

  async function pinDigest(uri: string, registry: string, repositoryName: string, imageDigest: string): Promise<ResolvedImage> {
    let out;
    try {
      out = await c.ecr.send(new DescribeImagesCommand({ repositoryName, imageIds: [{ imageDigest }] }));
    } catch (e) {
      throw mapAwsError(e, { resourceKind: 'ecr-image', resourceName: uri });
    }
    const d = out.imageDetails?.[0];
    if (!d?.imageDigest) throw new NotFoundError(`image ${uri} not found`, { resourceKind: 'ecr-image', resourceName: uri });
    if (d.imageManifestMediaType !== DOCKER_V2_MANIFEST) throw new UnsupportedManifestError(uri, d.imageManifestMediaType ?? '(unknown)');
    return { uri: `${registry}/${repositoryName}@${d.imageDigest}`, digest: d.imageDigest, pushed: false };
  }

  return {
    async uploadModel(req: UploadRequest) {
      // uploadArtifact keys by digest: <prefix>/<sha256>/model.tar.gz, i.e. modelKey(prefix, sha).
      const prefix = req.key.slice(0, req.key.length - `/${req.sha256}/model.tar.gz`.length);
      const r = await uploadArtifact({ client: c.s3, bucket: req.bucket, prefix, file: req.file, tags: req.tags, onProgress: (p) => req.onProgress?.(p.loaded, p.total) });
      if (r.sha256 !== req.sha256) throw new VadError('digest_mismatch', `${req.file} changed while it was uploaded (sha256 ${r.sha256}, expected ${req.sha256})`);
      return { s3Uri: r.uri, uploaded: !r.skipped };
    },

    async resolveImage(source: ImageSource, opts) {
      if ('uri' in source) {
        const m = ECR_IMAGE.exec(source.uri)!;
        const registry = source.uri.slice(0, source.uri.indexOf('/'));
        if (m[6]) return pinDigest(source.uri, registry, m[4]!, m[6]);
        const p = await pinImage(c.ecr, `${registry}/${m[4]}`, m[5]!);
        return { uri: p.imageUri, digest: p.imageDigest, pushed: false };
      }
      const b = source.build;
      // No Docker engine (or VAD_IMAGE_BUILDER=daemonless): the same layer plan, assembled and pushed by
      // @vad/image-builder. A Docker runner given by the caller counts as an engine.
      if (wantsDaemonless(process.env, () => options.docker !== undefined || dockerOnPath())) return buildAndPushDaemonless({ ecr: c.ecr, repository: b.repository, context: b.context, instanceType: opts.instanceType ?? 'ml.g5.xlarge', tags: opts.tags, onNote: opts.onNote });
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

    async instanceQuota(instanceType: string): Promise<QuotaCheck> {
      const quotaName = `${instanceType} for endpoint usage`;
      try {
        const q = await checkInstanceQuota(c.quotas, instanceType, 1);
        return q.value === undefined ? { quotaName, note: 'quota not listed for this account/region' } : { quotaName, value: q.value };
      } catch (e) {
        if (e instanceof ResourceLimitError) return { quotaName, value: e.quotaValue ?? 0 };
        return { quotaName, note: `Service Quotas not readable: ${(e as Error).message.split('\n')[0]}` };
      }
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
