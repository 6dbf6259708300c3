import { mkdirSync } from 'node:fs';
import { buildLayers } from './build-layers';
import { assembleImage, pushImage, type PushResult } from './image';
import { imagePlan, type Variant } from './plan';
import { parseImageRef, RegistryClient, type RegistryAuth } from './registry';

export interface BuildAndPushOptions {
  readonly workspaceRoot: string;
  readonly variant: Variant;
  /** Default: the plan's base for the variant (BASE_IMAGES). */
  readonly baseImage?: string;
  readonly baseAuth?: RegistryAuth;
  /** Where the image goes: `<registry host>` + repository, with the registry's credentials. */
  readonly dest: { readonly registry: string; readonly repository: string; readonly auth?: RegistryAuth };
  readonly workDir: string;
  readonly onNote?: (line: string) => void;
  readonly installOrtCuda?: (packageDir: string) => void;
}

export interface BuildAndPushResult extends PushResult {
  readonly variant: Variant;
  readonly baseImage: string;
  readonly buildSeconds: number;
  readonly pushSeconds: number;
}

/** The daemonless `--build-image`: plan → reproducible layers → config + Docker v2 manifest over the base → push what is missing. */
export async function buildAndPushImage(o: BuildAndPushOptions): Promise<BuildAndPushResult> {
  const plan = imagePlan(o.variant, o.workspaceRoot, o.baseImage);
  mkdirSync(o.workDir, { recursive: true });
  const t0 = Date.now();
  const layers = await buildLayers(plan, { workspaceRoot: o.workspaceRoot, workDir: o.workDir, installOrtCuda: o.installOrtCuda });
  const baseRef = parseImageRef(plan.baseImage);
  const baseClient = new RegistryClient(baseRef.registry, { auth: o.baseAuth });
  const image = await assembleImage(plan, { client: baseClient, repository: baseRef.repository, reference: baseRef.reference }, layers);
  const t1 = Date.now();
  const dest = new RegistryClient(o.dest.registry, { auth: o.dest.auth });
  const pushed = await pushImage(
    image,
    layers,
    { client: baseClient, repository: baseRef.repository },
    { client: dest, repository: o.dest.repository },
    o.onNote,
  );
  return { ...pushed, variant: o.variant, baseImage: plan.baseImage, buildSeconds: (t1 - t0) / 1000, pushSeconds: (Date.now() - t1) / 1000 };
}
