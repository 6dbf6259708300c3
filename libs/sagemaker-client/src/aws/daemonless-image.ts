import { execFileSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { ECRClient } from '@aws-sdk/client-ecr';
import { buildAndPushImage, variantForInstanceType, type RegistryAuth } from '@vad/image-builder';
import { ecrLogin, ensureRepository, pinImage } from './ecr';
import type { ResolvedImage } from './deploy-services';

/**
 * `--build-image` without a Docker engine (SageMaker Studio, most CI runners): the image is
 * assembled from the same layer plan as apps/server/Dockerfile and pushed to ECR with ECR's
 * authorization token. VAD_IMAGE_BUILDER=docker|daemonless forces a path; by default the
 * daemonless builder is used when no `docker` is on PATH.
 */
export function wantsDaemonless(env: NodeJS.ProcessEnv = process.env, hasDocker: () => boolean = dockerOnPath): boolean {
  const forced = env.VAD_IMAGE_BUILDER?.trim().toLowerCase();
  if (forced === 'daemonless') return true;
  if (forced === 'docker') return false;
  return !hasDocker();
}

export function dockerOnPath(): boolean {
  try {
    execFileSync('sh', ['-c', 'command -v docker'], { stdio: 'ignore' });
    return true;
  } catch {
    return false;
  }
}

export interface DaemonlessRequest {
  readonly ecr: ECRClient;
  readonly repository: string;
  /** The workspace to take the server bundle and runtime node_modules from (ImageSource build.context). */
  readonly context: string;
  readonly instanceType: string;
  readonly tags: Record<string, string>;
  /** Default: the variant's base (BASE_IMAGES); VAD_IMAGE_BASE overrides it. */
  readonly baseImage?: string;
  readonly baseAuth?: RegistryAuth;
  readonly onNote?: (line: string) => void;
}

export async function buildAndPushDaemonless(r: DaemonlessRequest): Promise<ResolvedImage> {
  const variant = variantForInstanceType(r.instanceType);
  const repo = await ensureRepository(r.ecr, r.repository, r.tags);
  const login = await ecrLogin(r.ecr);
  const registry = new URL(login.proxyEndpoint).host;
  const baseImage = r.baseImage ?? process.env.VAD_IMAGE_BASE;
  const workspaceRoot = resolve(r.context);
  r.onNote?.(`building the ${variant} image for ${r.instanceType} without Docker${baseImage ? ` on ${baseImage}` : ''}`);
  const workDir = join(tmpdir(), `vad-image-${process.pid}-${Date.now()}`);
  const built = await buildAndPushImage({
    workspaceRoot,
    variant,
    ...(baseImage ? { baseImage } : {}),
    ...(r.baseAuth ? { baseAuth: r.baseAuth } : {}),
    dest: { registry, repository: r.repository, auth: { username: login.username, password: login.password } },
    workDir,
    onNote: r.onNote,
  }).finally(() => rmSync(workDir, { recursive: true, force: true }));
  r.onNote?.(
    `built ${built.variant} image on ${built.baseImage} in ${built.buildSeconds.toFixed(1)} s; pushed ${built.bytesPushed} of ${built.imageBytes} bytes in ${built.pushSeconds.toFixed(1)} s`,
  );
  // pinImage re-reads the pushed tag through ECR's control plane and refuses a non-Docker-v2 manifest.
  const pinned = await pinImage(r.ecr, repo.repositoryUri, built.tag);
  return { uri: pinned.imageUri, digest: pinned.imageDigest, pushed: built.bytesPushed > 0 };
}
