import { readFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The one description of what goes into the server image. The generated Dockerfile
 * (renderDockerfile) and the daemonless builder (buildLayers) both read it, and a test keeps
 * apps/server/Dockerfile equal to its rendering, so the two paths cannot drift.
 */
export type Variant = 'cpu' | 'gpu';

export const BASE_IMAGES: Record<Variant, string> = {
  // CUDA 12 + cuDNN 9 runtime: what onnxruntime-node 1.30's CUDA provider links against.
  gpu: 'nvidia/cuda:12.6.3-cudnn-runtime-ubuntu22.04',
  cpu: 'debian:bookworm-slim',
};

/** onnxruntime-node's own installer flag: `cuda12` fetches the CUDA provider binaries, `skip` keeps the CPU build. */
export const ORT_INSTALL: Record<Variant, 'cuda12' | 'skip'> = { gpu: 'cuda12', cpu: 'skip' };

/** GPU instance families (ml.g4dn, ml.g5, ml.g6, ml.p3, ml.p4d, ml.p5 …) get the CUDA image; every other type the CPU one. */
export function variantForInstanceType(instanceType: string): Variant {
  return /^ml\.(g|p)\d/.test(instanceType) ? 'gpu' : 'cpu';
}

export interface PlannedLayer {
  /** Stable name: a layer's place in the manifest and its history line. */
  readonly id: 'node' | 'runtime-modules' | 'server' | 'entrypoint';
  /** Where the content lands in the image. */
  readonly imagePath: string;
  readonly why: string;
}

export interface RuntimePackage {
  readonly name: string;
  readonly version: string;
}

export interface ImagePlan {
  readonly variant: Variant;
  readonly baseImage: string;
  readonly ortInstall: 'cuda12' | 'skip';
  /** Packages the server bundle keeps external (native or wasm), at the workspace's pinned versions. */
  readonly runtimePackages: readonly RuntimePackage[];
  /** What the image needs from the distribution (the Dockerfile installs them with apt; the daemonless builder adds them as a layer when the base lacks them). */
  readonly basePackages: readonly string[];
  readonly layers: readonly PlannedLayer[];
  readonly user: { readonly name: string; readonly uid: number; readonly gid: number };
  readonly env: Readonly<Record<string, string>>;
  readonly labels: Readonly<Record<string, string>>;
  readonly workdir: string;
  readonly port: number;
  readonly entrypoint: readonly string[];
  readonly cmd: readonly string[];
}

/**
 * System packages the server needs from the image: ffmpeg (video/* requests), fonts (the score
 * drawn on image/png answers), CA certificates. The Dockerfile installs them with apt; the
 * daemonless builder adds what the base lacks as its system-packages layer.
 */
export const BASE_PACKAGES: readonly string[] = ['ffmpeg', 'fontconfig', 'fonts-dejavu-core', 'ca-certificates'];

export const APP_DIR = '/opt/vad';
export const SERVE_LINK = '/usr/local/bin/serve';

/** The packages apps/server's esbuild target leaves external, pinned to the root package.json versions. */
export function runtimePackages(workspaceRoot: string): RuntimePackage[] {
  const project = JSON.parse(readFileSync(join(workspaceRoot, 'apps/server/project.json'), 'utf8')) as {
    targets: { build: { options: { external: string[] } } };
  };
  const pkg = JSON.parse(readFileSync(join(workspaceRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
  return project.targets.build.options.external.map((name) => {
    const version = pkg.dependencies[name];
    if (!version) throw new Error(`apps/server keeps ${name} external but package.json has no pinned dependency on it`);
    return { name, version };
  });
}

export function imagePlan(variant: Variant, workspaceRoot: string, baseImage: string = BASE_IMAGES[variant]): ImagePlan {
  return {
    variant,
    baseImage,
    ortInstall: ORT_INSTALL[variant],
    runtimePackages: runtimePackages(workspaceRoot),
    basePackages: BASE_PACKAGES,
    layers: [
      { id: 'node', imagePath: '/usr/local/bin/node', why: "the Node.js runtime (the builder machine's own binary, linux x64)" },
      { id: 'runtime-modules', imagePath: `${APP_DIR}/node_modules`, why: 'the native/wasm packages the bundle keeps external' },
      { id: 'server', imagePath: `${APP_DIR}/server`, why: 'the esbuild server bundle (dist/apps/server)' },
      { id: 'entrypoint', imagePath: SERVE_LINK, why: '`serve` on PATH (SageMaker runs `docker run <image> serve`)' },
    ],
    // Non-root by choice. SageMaker's doc warns non-root users "can cause permissions issues": the
    // server only reads /opt/ml/model (read-only there anyway) and writes to /tmp.
    user: { name: 'vad', uid: 10001, gid: 10001 },
    // HOME: the daemonless image has no passwd entry for uid 10001 (it cannot edit the base's /etc/passwd).
    env: { NODE_ENV: 'production', VAD_EXECUTION_PROVIDER: 'auto', HOME: '/tmp' },
    // Multi-container endpoints and inference pipelines refuse images without this label.
    labels: { 'com.amazonaws.sagemaker.capabilities.accept-bind-to-port': 'true' },
    workdir: APP_DIR,
    port: 8080,
    // Exec form: "serve" reaches bin/serve, which execs node, so SIGTERM reaches the server.
    entrypoint: [`${APP_DIR}/server/bin/serve`],
    cmd: ['serve'],
  };
}
