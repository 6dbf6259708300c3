import { createHash } from 'node:crypto';
import { RegistryError } from './errors';

/**
 * A small client for the Docker Registry HTTP API v2 (distribution spec): what a daemonless
 * build needs and nothing more — manifests, blob HEAD/GET, monolithic blob upload (POST then PUT,
 * the form ECR accepts), and the two auth schemes registries use: Basic (ECR's
 * GetAuthorizationToken gives user:password) and the Bearer token dance (Docker Hub, nvcr).
 */
export const MEDIA = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
} as const;

export interface Descriptor {
  mediaType: string;
  digest: string;
  size: number;
  platform?: { architecture: string; os: string; variant?: string };
}

export interface ImageManifest {
  schemaVersion: 2;
  mediaType: string;
  config: Descriptor;
  layers: Descriptor[];
}

export interface ImageRef {
  readonly registry: string;
  readonly repository: string;
  /** A tag or a sha256 digest. */
  readonly reference: string;
}

/** `debian:bookworm-slim`, `nvidia/cuda:12…`, `127.0.0.1:5000/base:1`, `…/repo@sha256:…` → parts (Docker Hub's defaults applied). */
export function parseImageRef(ref: string): ImageRef {
  const at = ref.indexOf('@');
  let name = at >= 0 ? ref.slice(0, at) : ref;
  let reference = at >= 0 ? ref.slice(at + 1) : 'latest';
  if (at < 0) {
    const colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) {
      reference = name.slice(colon + 1);
      name = name.slice(0, colon);
    }
  }
  const slash = name.indexOf('/');
  const first = slash >= 0 ? name.slice(0, slash) : '';
  const hasRegistry = slash >= 0 && (first.includes('.') || first.includes(':') || first === 'localhost');
  const registry = hasRegistry ? first : 'registry-1.docker.io';
  let repository = hasRegistry ? name.slice(slash + 1) : name;
  if (!hasRegistry && !repository.includes('/')) repository = `library/${repository}`;
  if (!repository || !reference) throw new RegistryError(`not an image reference: ${JSON.stringify(ref)}`);
  return { registry, repository, reference };
}

export interface RegistryAuth {
  readonly username: string;
  readonly password: string;
}

export interface RegistryClientOptions {
  readonly auth?: RegistryAuth;
  /** http for loopback/localhost registries (as Docker's own default), https elsewhere. */
  readonly scheme?: 'http' | 'https';
}

const sha256 = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;

export class RegistryClient {
  private readonly base: string;
  private readonly tokens = new Map<string, string>();

  constructor(
    readonly registry: string,
    private readonly options: RegistryClientOptions = {},
  ) {
    const local = /^(127\.\d+\.\d+\.\d+|localhost|\[::1\])(:\d+)?$/.test(registry);
    this.base = `${options.scheme ?? (local ? 'http' : 'https')}://${registry}`;
  }

  private basic(): string | undefined {
    const a = this.options.auth;
    return a ? `Basic ${Buffer.from(`${a.username}:${a.password}`).toString('base64')}` : undefined;
  }

  /** Answers a 401 challenge: Basic credentials as given, or a Bearer token from the realm for `scope`. */
  private async authorize(challenge: string, scope: string): Promise<string> {
    if (/^basic/i.test(challenge)) {
      const b = this.basic();
      if (!b) throw new RegistryError(`${this.registry} wants credentials (Basic) and none were given`, 401);
      return b;
    }
    const params = Object.fromEntries([...challenge.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1], m[2]]));
    if (!/^bearer/i.test(challenge) || !params.realm)
      throw new RegistryError(`${this.registry} sent an auth challenge this client does not speak: ${challenge}`, 401);
    const url = new URL(params.realm);
    if (params.service) url.searchParams.set('service', params.service);
    url.searchParams.set('scope', scope);
    const b = this.basic();
    const res = await fetch(url, { headers: b ? { authorization: b } : {} }).catch((e: Error) => {
      throw new RegistryError(`token request to ${url.host} failed: ${e.message}`);
    });
    if (!res.ok) throw new RegistryError(`token request to ${url.host} for ${scope}: HTTP ${res.status}`, res.status);
    const body = (await res.json()) as { token?: string; access_token?: string };
    const token = body.token ?? body.access_token;
    if (!token) throw new RegistryError(`token answer from ${url.host} has no token`, res.status);
    return `Bearer ${token}`;
  }

  /** One call; on 401 authenticates for `scope` and retries once (bodies given here are buffers, so they can be resent). */
  async request(
    call: string,
    method: string,
    path: string,
    scope: string,
    init: { headers?: Record<string, string>; body?: Buffer | ReadableStream; ok?: number[] } = {},
  ): Promise<Response> {
    const url = path.startsWith('http') ? path : `${this.base}${path}`;
    const send = (authorization?: string) =>
      fetch(url, {
        method,
        headers: { ...init.headers, ...(authorization ? { authorization } : {}) },
        ...(init.body ? { body: init.body, duplex: 'half' } : {}),
        redirect: 'follow',
      } as RequestInit).catch((e: Error) => {
        throw new RegistryError(
          `registry ${call} (${method} ${this.registry}${new URL(url).pathname}) failed: ${e.message}${e.cause ? ` (${(e.cause as Error).message})` : ''}`,
        );
      });
    let res = await send(this.tokens.get(scope));
    if (res.status === 401 && !(init.body instanceof ReadableStream)) {
      const token = await this.authorize(res.headers.get('www-authenticate') ?? '', scope);
      this.tokens.set(scope, token);
      res = await send(token);
    }
    if (!(init.ok ?? [200]).includes(res.status)) {
      const text = (await res.text().catch(() => '')).replace(/\s+/g, ' ').slice(0, 300);
      throw new RegistryError(`registry ${call} (${method} ${this.registry}${new URL(url).pathname}): HTTP ${res.status}${text ? ` ${text}` : ''}`, res.status);
    }
    return res;
  }

  private pull = (repo: string) => `repository:${repo}:pull`;
  private push = (repo: string) => `repository:${repo}:pull,push`;

  /** The manifest a reference names, as bytes (its digest is over exactly these bytes). */
  async getManifest(repo: string, reference: string): Promise<{ mediaType: string; bytes: Buffer; digest: string }> {
    const accept = [MEDIA.dockerManifest, MEDIA.dockerList, MEDIA.ociManifest, MEDIA.ociIndex].join(', ');
    const res = await this.request('GetManifest', 'GET', `/v2/${repo}/manifests/${reference}`, this.pull(repo), { headers: { accept } });
    const bytes = Buffer.from(await res.arrayBuffer());
    const mediaType = (res.headers.get('content-type') ?? '').split(';')[0]!.trim() || (JSON.parse(bytes.toString()) as { mediaType?: string }).mediaType || '';
    return { mediaType, bytes, digest: sha256(bytes) };
  }

  /** The single-platform image manifest for linux/amd64 (following a manifest list or OCI index). */
  async imageManifest(repo: string, reference: string): Promise<{ manifest: ImageManifest; digest: string }> {
    const m = await this.getManifest(repo, reference);
    if (m.mediaType === MEDIA.dockerList || m.mediaType === MEDIA.ociIndex) {
      const list = JSON.parse(m.bytes.toString()) as { manifests: Descriptor[] };
      const pick = list.manifests.find((d) => d.platform?.os === 'linux' && d.platform.architecture === 'amd64');
      if (!pick) throw new RegistryError(`${this.registry}/${repo}:${reference} has no linux/amd64 image`);
      return this.imageManifest(repo, pick.digest);
    }
    if (m.mediaType !== MEDIA.dockerManifest && m.mediaType !== MEDIA.ociManifest)
      throw new RegistryError(`${this.registry}/${repo}:${reference}: unsupported manifest media type ${m.mediaType}`);
    return { manifest: JSON.parse(m.bytes.toString()) as ImageManifest, digest: m.digest };
  }

  async hasManifest(repo: string, reference: string): Promise<string | undefined> {
    const res = await this.request('HeadManifest', 'HEAD', `/v2/${repo}/manifests/${reference}`, this.pull(repo), {
      headers: { accept: MEDIA.dockerManifest },
      ok: [200, 404],
    });
    return res.status === 200 ? (res.headers.get('docker-content-digest') ?? '') : undefined;
  }

  async hasBlob(repo: string, digest: string): Promise<boolean> {
    const res = await this.request('HeadBlob', 'HEAD', `/v2/${repo}/blobs/${digest}`, this.pull(repo), { ok: [200, 404] });
    return res.status === 200;
  }

  async getBlob(repo: string, digest: string): Promise<Response> {
    return this.request('GetBlob', 'GET', `/v2/${repo}/blobs/${digest}`, this.pull(repo));
  }

  /** Monolithic upload: POST opens a session (and settles auth), PUT ?digest= sends the bytes and commits. */
  async putBlob(repo: string, digest: string, size: number, body: Buffer | ReadableStream): Promise<void> {
    const start = await this.request('StartUpload', 'POST', `/v2/${repo}/blobs/uploads/`, this.push(repo), { ok: [202], headers: { 'content-length': '0' } });
    const location = start.headers.get('location');
    if (!location) throw new RegistryError(`registry StartUpload (${this.registry}/${repo}) answered 202 without a Location`, 202);
    const url = new URL(location, this.base);
    url.searchParams.set('digest', digest);
    await this.request('PutBlob', 'PUT', url.toString(), this.push(repo), {
      body,
      ok: [201],
      headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    });
  }

  /** PUT a manifest under a tag; returns the registry's digest of it. */
  async putManifest(repo: string, tag: string, bytes: Buffer, mediaType: string): Promise<string> {
    const res = await this.request('PutManifest', 'PUT', `/v2/${repo}/manifests/${tag}`, this.push(repo), {
      body: bytes,
      ok: [201],
      headers: { 'content-type': mediaType },
    });
    return res.headers.get('docker-content-digest') ?? sha256(bytes);
  }
}
