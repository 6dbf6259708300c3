import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, rmSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { tarLayer, stagePath, type BuiltLayer } from './layer';
import { APP_DIR, SERVE_LINK, type ImagePlan, type PlannedLayer } from './plan';
import { otherPlatformBinary, runtimeClosure } from './runtime-modules';
import { ImageBuildError } from './errors';

export interface BuildLayersOptions {
  readonly workspaceRoot: string;
  /** Scratch space for staged trees and the layer tarballs (kept: the push reads the tarballs). */
  readonly workDir: string;
  /** The Node.js binary to ship; default: the one running this build. */
  readonly nodeBinary?: string;
  /**
   * gpu only: fetches onnxruntime-node's CUDA provider binaries into the staged copy of the
   * package by running its own installer (network to its release host needed). Injectable so the
   * gpu plan can be assembled where that host is unreachable.
   */
  readonly installOrtCuda?: (packageDir: string) => void;
}

/** onnxruntime-node's installer with ONNXRUNTIME_NODE_INSTALL=cuda12 (the variable wins over any .npmrc). */
export function runOrtCudaInstaller(packageDir: string): void {
  const r = spawnSync(process.execPath, ['script/install.js'], {
    cwd: packageDir,
    env: { ...process.env, ONNXRUNTIME_NODE_INSTALL: 'cuda12' },
    encoding: 'utf8',
  });
  if (r.status !== 0)
    throw new ImageBuildError(
      `onnxruntime-node's CUDA installer failed (exit ${r.status}): ${(r.stderr || r.stdout || String(r.error)).trim().split('\n').slice(-2).join(' | ')}`,
    );
}

function stageLayer(layer: PlannedLayer, plan: ImagePlan, o: BuildLayersOptions, root: string): void {
  const ws = o.workspaceRoot;
  const rel = (p: string) => p.replace(/^\//, '');
  switch (layer.id) {
    case 'node':
      stagePath(o.nodeBinary ?? process.execPath, root, rel(layer.imagePath));
      return;
    case 'runtime-modules': {
      const nodeModules = join(ws, 'node_modules');
      for (const pkg of runtimeClosure(nodeModules, plan.runtimePackages)) {
        const to = join(rel(layer.imagePath), pkg);
        if (plan.ortInstall === 'cuda12' && pkg === 'onnxruntime-node') {
          // A real copy, never links: the installer writes into it and must not touch the workspace.
          const from = join(nodeModules, pkg);
          cpSync(from, join(root, to), {
            recursive: true,
            verbatimSymlinks: true,
            filter: (src) => src === from || !otherPlatformBinary(src.slice(from.length + 1)),
          });
          (o.installOrtCuda ?? runOrtCudaInstaller)(join(root, to));
        } else {
          stagePath(join(nodeModules, pkg), root, to, otherPlatformBinary);
        }
      }
      return;
    }
    case 'server': {
      const dist = join(ws, 'dist/apps/server');
      if (!existsSync(join(dist, 'main.js')) || !existsSync(join(dist, 'bin/serve')))
        throw new ImageBuildError(`no server bundle at ${dist}: run \`npx nx build server\``);
      // Source maps stay out: they are for debugging the workspace, not the endpoint.
      stagePath(dist, root, rel(layer.imagePath), (r) => r.endsWith('.map'));
      return;
    }
    case 'entrypoint':
      mkdirSync(join(root, rel(SERVE_LINK), '..'), { recursive: true });
      symlinkSync(`${APP_DIR}/server/bin/serve`, join(root, rel(SERVE_LINK)));
      return;
  }
}

/** Stages and tars every layer of the plan, in the plan's order. */
export async function buildLayers(plan: ImagePlan, o: BuildLayersOptions): Promise<BuiltLayer[]> {
  if (process.platform !== 'linux' || process.arch !== 'x64') {
    throw new ImageBuildError(
      `the daemonless build ships this machine's node binary and native prebuilds, so it needs linux x64 (this is ${process.platform} ${process.arch}); build with Docker instead`,
    );
  }
  const built: BuiltLayer[] = [];
  for (const layer of plan.layers) {
    const root = join(o.workDir, 'stage', layer.id);
    rmSync(root, { recursive: true, force: true });
    mkdirSync(root, { recursive: true });
    stageLayer(layer, plan, o, root);
    built.push(await tarLayer(layer.id, root, join(o.workDir, `${layer.id}.tar.gz`)));
    rmSync(root, { recursive: true, force: true });
  }
  return built;
}
