import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import type { RuntimePackage } from './plan';

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

/**
 * The package directories the external packages need at run time, found in the workspace's
 * installed node_modules (so the image gets exactly the tested install, native prebuilds
 * included): each package plus its dependencies and the optional ones that are installed (sharp's
 * @img/* prebuilds for this platform), resolved as Node would, nearest node_modules first.
 * Returned as paths relative to `nodeModules`, top-level packages only (nested ones travel inside
 * their parent's directory).
 */
export function runtimeClosure(nodeModules: string, packages: readonly RuntimePackage[]): string[] {
  const seen = new Set<string>();
  const visit = (name: string, fromDir: string, required: boolean): void => {
    let dir = fromDir;
    for (;;) {
      const candidate = join(dir, 'node_modules', name);
      if (existsSync(join(candidate, 'package.json'))) {
        if (seen.has(candidate)) return;
        seen.add(candidate);
        const pkg = JSON.parse(readFileSync(join(candidate, 'package.json'), 'utf8')) as PackageJson;
        for (const d of Object.keys(pkg.dependencies ?? {})) visit(d, candidate, true);
        for (const d of Object.keys(pkg.optionalDependencies ?? {})) visit(d, candidate, false);
        return;
      }
      const up = dirname(dir);
      if (dir === dirname(nodeModules) || up === dir) break;
      dir = up;
    }
    if (required) throw new Error(`${name} (needed at run time) is not installed under ${nodeModules}: run npm ci`);
  };
  const root = dirname(nodeModules);
  for (const p of packages) {
    const installed = join(nodeModules, p.name, 'package.json');
    if (!existsSync(installed)) throw new Error(`${p.name} is not installed under ${nodeModules}: run npm ci`);
    const version = (JSON.parse(readFileSync(installed, 'utf8')) as PackageJson).version;
    if (version !== p.version) throw new Error(`${p.name} ${version} is installed but package.json pins ${p.version}: run npm ci`);
    visit(p.name, root, true);
  }
  const top = join(nodeModules, '/');
  return [...seen]
    .map((d) => d.slice(top.length))
    .filter((rel) => !rel.includes('/node_modules/'))
    .sort();
}

/**
 * Prebuilt binaries for other platforms inside the runtime packages (onnxruntime-node ships
 * darwin, win32 and linux-arm64 builds next to linux-x64): left out of a linux/amd64 image.
 */
export function otherPlatformBinary(rel: string): boolean {
  return /(^|\/)bin\/napi-v\d+\/(darwin|win32)(\/|$)/.test(rel) || /(^|\/)bin\/napi-v\d+\/linux\/arm64(\/|$)/.test(rel);
}
