import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import type { BuiltLayer } from './layer';
import { LAYER_MTIME } from './layer';
import type { ImagePlan } from './plan';
import { MEDIA, type Descriptor, type ImageManifest, type RegistryClient } from './registry';
import { RegistryError } from './errors';

/**
 * The image = the base image's layers + ours, described by a Docker image config and a Docker
 * v2 schema 2 manifest (CreateModel refuses OCI manifests; an OCI base's gzip layers are the same
 * bytes under the Docker media type). Created times are fixed, so the config, the manifest and
 * hence the image digest depend on content only.
 */
interface BaseConfig {
  config?: Record<string, unknown> & { Env?: string[]; Labels?: Record<string, string> | null };
  rootfs: { type: 'layers'; diff_ids: string[] };
  history?: unknown[];
}

export interface AssembledImage {
  readonly config: Buffer;
  readonly configDigest: string;
  readonly manifest: Buffer;
  readonly manifestDigest: string;
  readonly baseLayers: readonly Descriptor[];
  /** Content-derived tag (`<variant>-<config digest prefix>`): immutable ECR tags never collide. */
  readonly tag: string;
}

const digestOf = (b: Buffer): string => `sha256:${createHash('sha256').update(b).digest('hex')}`;
const EPOCH = LAYER_MTIME.toISOString().replace('.000Z', 'Z');

/** Ours override the base's variables; `libraryPaths` are appended to the base's LD_LIBRARY_PATH (kept first). */
function mergeEnv(base: string[] | undefined, ours: Readonly<Record<string, string>>, libraryPaths: readonly string[]): string[] {
  const out = new Map((base ?? []).map((kv) => [kv.slice(0, kv.indexOf('=')), kv] as const));
  for (const [k, v] of Object.entries(ours)) out.set(k, `${k}=${v}`);
  if (libraryPaths.length) {
    const baseLd = out.get('LD_LIBRARY_PATH')?.slice('LD_LIBRARY_PATH='.length);
    out.set('LD_LIBRARY_PATH', `LD_LIBRARY_PATH=${[...(baseLd ? [baseLd] : []), ...libraryPaths].join(':')}`);
  }
  return [...out.values()];
}

export async function assembleImage(
  plan: ImagePlan,
  base: { client: RegistryClient; repository: string; manifest: ImageManifest },
  ours: readonly BuiltLayer[],
  /** Library directories our layers add outside the loader's defaults (the system-packages layer's). */
  libraryPaths: readonly string[] = [],
): Promise<AssembledImage> {
  const baseManifest = base.manifest;
  const baseConfig = (await (await base.client.getBlob(base.repository, baseManifest.config.digest)).json()) as BaseConfig;
  if (baseConfig.rootfs.diff_ids.length !== baseManifest.layers.length)
    throw new RegistryError(`base ${plan.baseImage}: ${baseManifest.layers.length} layers but ${baseConfig.rootfs.diff_ids.length} diff_ids`);
  const config = {
    architecture: 'amd64',
    os: 'linux',
    created: EPOCH,
    config: {
      ...baseConfig.config,
      Env: mergeEnv(baseConfig.config?.Env, plan.env, libraryPaths),
      User: `${plan.user.uid}:${plan.user.gid}`,
      WorkingDir: plan.workdir,
      Entrypoint: [...plan.entrypoint],
      Cmd: [...plan.cmd],
      ExposedPorts: { [`${plan.port}/tcp`]: {} },
      Labels: { ...(baseConfig.config?.Labels ?? {}), ...plan.labels },
    },
    rootfs: { type: 'layers', diff_ids: [...baseConfig.rootfs.diff_ids, ...ours.map((l) => l.diffId)] },
    history: [
      ...(baseConfig.history ?? []),
      ...ours.map((l) => {
        const why = l.why ?? plan.layers.find((p) => p.id === l.id)?.why ?? l.id;
        return { created: EPOCH, created_by: `vad-serve image-builder ${plan.variant}: ${l.id} (${why})` };
      }),
    ],
  };
  const configBytes = Buffer.from(JSON.stringify(config));
  const configDigest = digestOf(configBytes);
  const baseLayers = baseManifest.layers.map((d) => ({ mediaType: MEDIA.dockerLayer, digest: d.digest, size: d.size }));
  const manifest = {
    schemaVersion: 2,
    mediaType: MEDIA.dockerManifest,
    config: { mediaType: MEDIA.dockerConfig, digest: configDigest, size: configBytes.length },
    layers: [...baseLayers, ...ours.map((l) => ({ mediaType: MEDIA.dockerLayer, digest: l.digest, size: l.size }))],
  };
  const manifestBytes = Buffer.from(JSON.stringify(manifest));
  return {
    config: configBytes,
    configDigest,
    manifest: manifestBytes,
    manifestDigest: digestOf(manifestBytes),
    baseLayers,
    tag: `${plan.variant}-${configDigest.slice(7, 23)}`,
  };
}

export interface PushResult {
  readonly repository: string;
  readonly tag: string;
  readonly digest: string;
  readonly mediaType: string;
  /** Bytes sent (blobs and manifest); 0 when the registry already had everything. */
  readonly bytesPushed: number;
  /** Compressed size of the whole image, and of our layers alone. */
  readonly imageBytes: number;
  readonly ourBytes: number;
}

/** Pushes what the destination lacks (HEAD first): base blobs streamed over from the base registry, our layers and the config from disk, then the manifest. */
export async function pushImage(
  image: AssembledImage,
  ours: readonly BuiltLayer[],
  base: { client: RegistryClient; repository: string },
  dest: { client: RegistryClient; repository: string },
  onNote: (line: string) => void = () => {},
): Promise<PushResult> {
  let bytesPushed = 0;
  const repo = dest.repository;
  for (const d of image.baseLayers) {
    if (await dest.client.hasBlob(repo, d.digest)) continue;
    onNote(`copy base layer ${d.digest.slice(0, 19)} (${d.size} bytes)`);
    const res = await base.client.getBlob(base.repository, d.digest);
    await dest.client.putBlob(repo, d.digest, d.size, res.body as ReadableStream);
    bytesPushed += d.size;
  }
  for (const l of ours) {
    if (await dest.client.hasBlob(repo, l.digest)) continue;
    onNote(`push layer ${l.id} ${l.digest.slice(0, 19)} (${l.size} bytes)`);
    await dest.client.putBlob(repo, l.digest, l.size, await readFile(l.file));
    bytesPushed += l.size;
  }
  if (!(await dest.client.hasBlob(repo, image.configDigest))) {
    await dest.client.putBlob(repo, image.configDigest, image.config.length, image.config);
    bytesPushed += image.config.length;
  }
  const existing = await dest.client.hasManifest(repo, image.tag);
  if (existing !== image.manifestDigest) {
    const digest = await dest.client.putManifest(repo, image.tag, image.manifest, MEDIA.dockerManifest);
    if (digest !== image.manifestDigest) throw new RegistryError(`registry stored the manifest as ${digest}, expected ${image.manifestDigest}`);
    bytesPushed += image.manifest.length;
  }
  const ourBytes = ours.reduce((s, l) => s + l.size, 0);
  return {
    repository: repo,
    tag: image.tag,
    digest: image.manifestDigest,
    mediaType: MEDIA.dockerManifest,
    bytesPushed,
    imageBytes: image.baseLayers.reduce((s, d) => s + d.size, 0) + ourBytes,
    ourBytes,
  };
}
