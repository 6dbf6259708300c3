import type { ECRClient } from '@aws-sdk/client-ecr';
import { NotFoundError, UnsupportedManifestError, ValidationError } from '../errors';
import { mapAwsError } from './map-error';
import { ecrSdk } from './sdk';

/** The manifest types CreateModel accepts (OCI manifests and indexes are rejected, notes §1.1). */
export const DOCKER_V2_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json';

export interface EcrRepository {
  repositoryName: string;
  repositoryUri: string;
  repositoryArn: string;
  created: boolean;
}

/** Creates the repository with IMMUTABLE tags and scan-on-push, or returns the existing one. */
export async function ensureRepository(ecr: ECRClient, repositoryName: string, tags: Record<string, string> = {}): Promise<EcrRepository> {
  try {
    const o = await ecr.send(
      new (ecrSdk().CreateRepositoryCommand)({
        repositoryName,
        imageTagMutability: 'IMMUTABLE',
        imageScanningConfiguration: { scanOnPush: true },
        tags: Object.entries(tags).map(([Key, Value]) => ({ Key, Value })),
      }),
    );
    return { repositoryName, repositoryUri: o.repository?.repositoryUri ?? '', repositoryArn: o.repository?.repositoryArn ?? '', created: true };
  } catch (e) {
    if ((e as Error).name !== 'RepositoryAlreadyExistsException') throw mapAwsError(e, { resourceKind: 'ecr-repository', resourceName: repositoryName });
  }
  try {
    const d = await ecr.send(new (ecrSdk().DescribeRepositoriesCommand)({ repositoryNames: [repositoryName] }));
    const r = d.repositories?.[0];
    return { repositoryName, repositoryUri: r?.repositoryUri ?? '', repositoryArn: r?.repositoryArn ?? '', created: false };
  } catch (e) {
    throw mapAwsError(e, { resourceKind: 'ecr-repository', resourceName: repositoryName });
  }
}

export interface EcrLogin {
  username: string;
  password: string;
  /** `https://<acct>.dkr.ecr.<region>.amazonaws.com` — the `docker login` server. */
  proxyEndpoint: string;
  expiresAt?: Date;
}

/** `docker login --username AWS --password-stdin <proxyEndpoint>` credentials (valid 12 h). */
export async function ecrLogin(ecr: ECRClient): Promise<EcrLogin> {
  let o;
  try {
    o = await ecr.send(new (ecrSdk().GetAuthorizationTokenCommand)({}));
  } catch (e) {
    throw mapAwsError(e);
  }
  const a = o.authorizationData?.[0];
  if (!a?.authorizationToken || !a.proxyEndpoint) throw new ValidationError('ECR returned no authorization data');
  const decoded = Buffer.from(a.authorizationToken, 'base64').toString('utf8');
  const sep = decoded.indexOf(':');
  return { username: decoded.slice(0, sep), password: decoded.slice(sep + 1), proxyEndpoint: a.proxyEndpoint, expiresAt: a.expiresAt };
}

export interface PinnedImage {
  /** `<registry>/<repo>@sha256:…` — what CreateModel gets, so a re-pushed tag changes nothing. */
  imageUri: string;
  imageDigest: string;
  mediaType: string;
  sizeBytes?: number;
}

/**
 * Resolves `repo:tag` (or `repo@sha256:…`: `ref` is a tag or a digest) to its digest-pinned URI
 * and checks the manifest type: OCI manifests are refused here, before CreateModel would fail
 * with "Unsupported manifest media type".
 */
export async function pinImage(ecr: ECRClient, repositoryUri: string, ref: string): Promise<PinnedImage> {
  const repositoryName = repositoryUri.slice(repositoryUri.indexOf('/') + 1);
  const byDigest = ref.startsWith('sha256:');
  const named = `${repositoryUri}${byDigest ? '@' : ':'}${ref}`;
  let o;
  try {
    o = await ecr.send(new (ecrSdk().DescribeImagesCommand)({ repositoryName, imageIds: [byDigest ? { imageDigest: ref } : { imageTag: ref }] }));
  } catch (e) {
    throw mapAwsError(e, { resourceKind: 'ecr-image', resourceName: named });
  }
  const d = o.imageDetails?.[0];
  if (!d?.imageDigest) throw new NotFoundError(`image ${named} not found`, { resourceKind: 'ecr-image', resourceName: named });
  const mediaType = d.imageManifestMediaType ?? '';
  if (mediaType !== DOCKER_V2_MANIFEST) throw new UnsupportedManifestError(named, mediaType || '(unknown)');
  return { imageUri: `${repositoryUri}@${d.imageDigest}`, imageDigest: d.imageDigest, mediaType, sizeBytes: d.imageSizeInBytes };
}
