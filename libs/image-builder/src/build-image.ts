import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { readBaseRootfs } from './base-rootfs';
import { buildLayers } from './build-layers';
import { assembleImage, pushImage, type PushResult } from './image';
import type { BuiltLayer } from './layer';
import { imagePlan, type Variant } from './plan';
import { parseImageRef, RegistryClient, type RegistryAuth } from './registry';
import { buildSystemPackagesLayer } from './system-packages';

export interface BuildAndPushOptions {
  readonly workspaceRoot: string;
  readonly variant: Variant;
  /** Default: the plan's base for the variant (BASE_IMAGES). */
  readonly baseImage?: string;
  readonly baseAuth?: RegistryAuth;
  /** Where the image goes: `<registry host>` + repository, with the registry's credentials. */
  readonly dest: { readonly registry: string; readonly repository: string; readonly auth?: RegistryAuth };
  readonly workDir: string;
  /**
   * Kept across builds (so a rebuild downloads nothing): the apt indexes and .debs of the
   * system-packages layer and what was read from the base's layers. Default VAD_APT_CACHE_DIR,
   * else <workspaceRoot>/node_modules/.cache/vad-apt.
   */
  readonly cacheDir?: string;
  /** The apt mirror for the base's distribution; default VAD_APT_MIRROR, else deb.debian.org / archive.ubuntu.com. */
  readonly aptMirror?: string;
  readonly onNote?: (line: string) => void;
  readonly installOrtCuda?: (packageDir: string) => void;
}

export interface BuildAndPushResult extends PushResult {
  readonly variant: Variant;
  readonly baseImage: string;
  readonly buildSeconds: number;
  readonly pushSeconds: number;
  /** The system-packages layer: what it added (empty when the base had every plan.basePackages entry). */
  readonly systemPackages: {
    readonly added: readonly string[];
    readonly summary: string;
    readonly layerBytes: number;
    readonly seconds: number;
    readonly downloadedBytes: number;
  };
}

/**
 * The daemonless `--build-image`: plan → (system packages the base lacks, from its distribution's
 * mirror) + reproducible layers → config + Docker v2 manifest over the base → push what is missing.
 */
export async function buildAndPushImage(o: BuildAndPushOptions): Promise<BuildAndPushResult> {
  const plan = imagePlan(o.variant, o.workspaceRoot, o.baseImage);
  mkdirSync(o.workDir, { recursive: true });
  const cacheDir = o.cacheDir ?? process.env.VAD_APT_CACHE_DIR ?? join(o.workspaceRoot, 'node_modules/.cache/vad-apt');
  const t0 = Date.now();
  const baseRef = parseImageRef(plan.baseImage);
  const baseClient = new RegistryClient(baseRef.registry, { auth: o.baseAuth });
  const { manifest: baseManifest } = await baseClient.imageManifest(baseRef.repository, baseRef.reference);
  const rootfs = await readBaseRootfs(baseClient, baseRef.repository, baseManifest.layers, cacheDir, o.onNote);
  const sys = await buildSystemPackagesLayer({
    wanted: plan.basePackages,
    base: rootfs,
    workDir: o.workDir,
    cacheDir,
    ...(o.aptMirror ? { mirror: o.aptMirror } : {}),
    onNote: o.onNote,
  });
  o.onNote?.(sys.summary);
  const tSys = Date.now();
  const layers: BuiltLayer[] = [
    ...(sys.layer ? [{ ...sys.layer, why: `${plan.basePackages.join(', ')} and their dependencies: ${sys.added.length} ${rootfs.os.id} packages` }] : []),
    ...(await buildLayers(plan, { workspaceRoot: o.workspaceRoot, workDir: o.workDir, installOrtCuda: o.installOrtCuda })),
  ];
  const image = await assembleImage(plan, { client: baseClient, repository: baseRef.repository, manifest: baseManifest }, layers, sys.libraryPaths);
  const t1 = Date.now();
  const dest = new RegistryClient(o.dest.registry, { auth: o.dest.auth });
  const pushed = await pushImage(
    image,
    layers,
    { client: baseClient, repository: baseRef.repository },
    { client: dest, repository: o.dest.repository },
    o.onNote,
  );
  return {
    ...pushed,
    variant: o.variant,
    baseImage: plan.baseImage,
    buildSeconds: (t1 - t0) / 1000,
    pushSeconds: (Date.now() - t1) / 1000,
    systemPackages: {
      added: sys.added.map((p) => p.name),
      summary: sys.summary,
      layerBytes: sys.layer?.size ?? 0,
      seconds: (tSys - t0) / 1000,
      downloadedBytes: sys.downloadedBytes,
    },
  };
}
