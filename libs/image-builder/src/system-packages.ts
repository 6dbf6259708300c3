import { chmodSync, existsSync, linkSync, lstatSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join, posix } from 'node:path';
import { AptCache, aptSourcesFor, installedNames, resolveClosure, type AptPackage } from './apt';
import { resolveIn, type BaseRootfs } from './base-rootfs';
import { parseControl, readDeb, readTar, type TarItem } from './deb';
import { ImageBuildError } from './errors';
import { listSorted, tarLayer, type BuiltLayer } from './layer';

/**
 * The daemonless stand-in for the Dockerfile's `apt-get install --no-install-recommends
 * <basePackages>`: the packages the base lacks, with their dependency closure, fetched from the
 * base distribution's mirror and unpacked into one reproducible layer.
 *
 * dpkg's maintainer scripts do not run. What they would do that ffmpeg and fontconfig need is
 * done from the packages' own files: `update-alternatives --install` lines of postinst scripts
 * become the alternative's symlinks (libblas.so.3, liblapack.so.3 live in blas/ and lapack/
 * subdirectories otherwise), library directories named by the packages' /etc/ld.so.conf.d files
 * go on LD_LIBRARY_PATH (no ldconfig runs, so no ld.so.cache knows them), and ca-certificates'
 * bundle is concatenated as update-ca-certificates would. The added packages are appended to
 * /var/lib/dpkg/status. The base's dpkg path filters (/etc/dpkg/dpkg.cfg.d path-exclude, as
 * debian:bookworm-slim has for docs and man pages) apply as dpkg would apply them.
 */
export const SYSTEM_PACKAGES_LAYER = 'system-packages';
/** Bump when the way the layer is made changes: cached layers of the old way are then not reused. */
const LAYER_FORMAT = 1;

export interface SystemPackagesOptions {
  readonly wanted: readonly string[];
  readonly base: BaseRootfs;
  readonly workDir: string;
  /** Downloads (Release, Packages, .debs); default VAD_APT_CACHE_DIR or <workspace>/node_modules/.cache/vad-apt. */
  readonly cacheDir: string;
  /** Default VAD_APT_MIRROR, else the distribution's own. */
  readonly mirror?: string;
  readonly securityMirror?: string;
  /** How long a fetched Release file is reused (VAD_APT_INDEX_MAX_AGE_S, default one day). */
  readonly indexMaxAgeSeconds?: number;
  readonly onNote?: (line: string) => void;
}

export interface SystemPackagesResult {
  /** Absent when the base already has every wanted package. */
  readonly layer?: BuiltLayer;
  readonly added: readonly AptPackage[];
  /** Env additions (LD_LIBRARY_PATH directories, in order). */
  readonly libraryPaths: readonly string[];
  /** One line for the deployer's notes. */
  readonly summary: string;
  readonly downloadedBytes: number;
}

/** dpkg's --path-exclude/--path-include (last match wins; fnmatch without FNM_PATHNAME: `*` crosses `/`). */
export function dpkgPathFilter(config: string): (imagePath: string) => boolean {
  const rules = [...config.matchAll(/^\s*path-(exclude|include)[=\s]+(\S+)\s*$/gm)].map((m) => {
    const re = m[2]!
      .replace(/[.+^${}()|\\]/g, '\\$&')
      .replace(/\*/g, '.*')
      .replace(/\?/g, '.');
    return { exclude: m[1] === 'exclude', re: new RegExp(`^${re}$`) };
  });
  return (p) => {
    let excluded = false;
    for (const r of rules) if (r.re.test(`/${p}`)) excluded = r.exclude;
    return !excluded;
  };
}

/** `update-alternatives --install <link> <name> <path> <priority>` lines of a maintainer script (continuations joined; literal paths only). */
export function alternativesIn(script: string): { link: string; name: string; path: string; priority: number }[] {
  const joined = script.replace(/\\\n/g, ' ');
  return [...joined.matchAll(/update-alternatives\s+(?:--\S+\s+)*?--install\s+(\/\S+)\s+(\S+)\s+(\/\S+)\s+(\d+)/g)]
    .filter((m) => !`${m[1]}${m[2]}${m[3]}`.includes('$'))
    .map((m) => ({ link: m[1]!, name: m[2]!, path: m[3]!, priority: Number(m[4]) }));
}

const DEFAULT_LIB_DIRS = new Set(['/lib', '/usr/lib', '/lib/x86_64-linux-gnu', '/usr/lib/x86_64-linux-gnu', '/lib64', '/usr/lib64']);

export async function buildSystemPackagesLayer(o: SystemPackagesOptions): Promise<SystemPackagesResult> {
  const note = o.onNote ?? (() => {});
  const installed = installedNames(o.base.dpkgStatus);
  const missing = o.wanted.filter((w) => !installed.has(w));
  const osName = o.base.os.prettyName || `${o.base.os.id} ${o.base.os.codename}`;
  if (missing.length === 0)
    return { added: [], libraryPaths: [], downloadedBytes: 0, summary: `system packages: the base (${osName}) already has ${o.wanted.join(', ')}` };
  if (!o.base.dpkgStatus)
    throw new ImageBuildError(`system packages: the base has no /var/lib/dpkg/status, so ${missing.join(', ')} cannot be added; use a Debian or Ubuntu base`);

  const cache = new AptCache(o.cacheDir, o.indexMaxAgeSeconds ?? Number(process.env.VAD_APT_INDEX_MAX_AGE_S ?? 86_400), note);
  const sources = aptSourcesFor(o.base.os, {
    mirror: o.mirror ?? process.env.VAD_APT_MIRROR,
    securityMirror: o.securityMirror ?? process.env.VAD_APT_SECURITY_MIRROR,
  });
  const index = await cache.index(sources);
  const added = resolveClosure(missing, index, installed);
  note(`system packages: ${missing.join(', ')} missing from the base (${osName}): adding ${added.length} packages from ${sources[0]!.mirror}`);

  const summary = (layer: BuiltLayer) =>
    `system packages: added ${missing.join(', ')} and their dependencies (${added.length} packages, layer ${(layer.size / 1e6).toFixed(1)} MB) from ${sources[0]!.mirror}`;
  // The layer is a function of the base and the package files: a rebuild reuses it.
  const key = createHash('sha256')
    .update(JSON.stringify({ v: LAYER_FORMAT, base: o.base.layerDigests, packages: added.map((p) => [p.name, p.version, p.sha256]) }))
    .digest('hex');
  const cachedMeta = join(o.cacheDir, 'layers', `${key}.json`);
  if (existsSync(cachedMeta)) {
    const cached = JSON.parse(readFileSync(cachedMeta, 'utf8')) as { layer: BuiltLayer; libraryPaths: string[] };
    if (existsSync(cached.layer.file))
      return { layer: cached.layer, added, libraryPaths: cached.libraryPaths, downloadedBytes: cache.downloaded, summary: `${summary(cached.layer)} (cached)` };
  }

  const root = join(o.workDir, 'stage', SYSTEM_PACKAGES_LAYER);
  rmSync(root, { recursive: true, force: true });
  mkdirSync(root, { recursive: true });
  const keep = dpkgPathFilter(o.base.dpkgConfig);
  const alternatives: ReturnType<typeof alternativesIn> = [];
  const stanzas: string[] = [];
  // Where a package path lands: symlinked directories of the base followed (merged /usr).
  const place = (p: string, isDir: boolean) => resolveIn(o.base.symlinks, p, isDir);
  const staged = new Set<string>();
  for (const p of added) {
    const deb = await cache.deb(p);
    const parts = await readDeb(deb, `${p.name}_${p.version}.deb`);
    const control = await readTar(parts.control, `${p.name} control.tar`);
    for (const f of control) {
      if (f.path === 'postinst' && f.data) alternatives.push(...alternativesIn(f.data.toString('utf8')));
      if (f.path === 'control' && f.data) {
        const s = parseControl(f.data.toString('utf8'))[0] ?? {};
        stanzas.push(
          Object.entries({ Package: s.Package ?? p.name, Status: 'install ok installed', ...s })
            .map(([k, v]) => `${k}: ${v}`)
            .join('\n'),
        );
      }
    }
    for (const item of await readTar(parts.data, `${p.name} data.tar`)) {
      const to = place(item.path, item.type === 'dir');
      if (!to || !keep(to)) continue;
      stageItem(root, to, item, (l) => place(l, false));
      staged.add(to);
    }
  }

  // update-alternatives: the highest priority per link, through /etc/alternatives as dpkg does.
  const best = new Map<string, (typeof alternatives)[number]>();
  for (const a of alternatives) if ((best.get(a.link)?.priority ?? -1) < a.priority) best.set(a.link, a);
  for (const a of [...best.values()].sort((x, y) => (x.link < y.link ? -1 : 1))) {
    const link = place(a.link.slice(1), false);
    const target = place(a.path.slice(1), false);
    if (!staged.has(target) || staged.has(link) || o.base.present.has(link)) continue;
    stageItem(root, `etc/alternatives/${a.name}`, { path: '', type: 'symlink', mode: 0o777, linkpath: a.path }, () => '');
    stageItem(root, link, { path: '', type: 'symlink', mode: 0o777, linkpath: `/etc/alternatives/${a.name}` }, () => '');
  }

  // No ldconfig: directories that ld.so.conf.d files name (beyond the loader's defaults) go on LD_LIBRARY_PATH.
  const libraryPaths: string[] = [];
  const confDir = join(root, 'etc/ld.so.conf.d');
  if (existsSync(confDir))
    for (const f of readdirSync(confDir).sort())
      for (const line of readFileSync(join(confDir, f), 'utf8').split('\n')) {
        const d = line.replace(/#.*/, '').trim();
        if (d.startsWith('/') && !DEFAULT_LIB_DIRS.has(d) && !libraryPaths.includes(d)) libraryPaths.push(d);
      }

  // update-ca-certificates: the bundle of every certificate the package ships.
  const caDir = join(root, 'usr/share/ca-certificates');
  if (existsSync(caDir) && !existsSync(join(root, 'etc/ssl/certs/ca-certificates.crt'))) {
    const pems = listSorted(caDir).filter((f) => f.endsWith('.crt') && lstatSync(join(caDir, f)).isFile());
    mkdirSync(join(root, 'etc/ssl/certs'), { recursive: true });
    writeFileSync(join(root, 'etc/ssl/certs/ca-certificates.crt'), pems.map((f) => readFileSync(join(caDir, f), 'utf8').trimEnd() + '\n').join(''));
  }

  const statusFile = join(root, 'var/lib/dpkg/status');
  mkdirSync(posix.dirname(statusFile), { recursive: true });
  writeFileSync(statusFile, `${o.base.dpkgStatus.trimEnd()}\n\n${stanzas.join('\n\n')}\n`);

  mkdirSync(join(o.cacheDir, 'layers'), { recursive: true });
  const file = join(o.cacheDir, 'layers', `${key}.tar.gz`);
  // Written aside and renamed: a build running beside this one never reads half a layer.
  const built = await tarLayer(SYSTEM_PACKAGES_LAYER, root, `${file}.${process.pid}.tmp`);
  renameSync(built.file, file);
  const layer = { ...built, file };
  rmSync(root, { recursive: true, force: true });
  writeFileSync(cachedMeta, JSON.stringify({ layer, libraryPaths }));
  return { layer, added, libraryPaths, downloadedBytes: cache.downloaded, summary: summary(layer) };
}

/** Writes one package entry at image path `to` under `root`; a later package's file replaces an earlier one's, as dpkg would. */
function stageItem(root: string, to: string, item: TarItem, placeLink: (p: string) => string): void {
  const dest = join(root, to);
  if (item.type === 'dir') {
    mkdirSync(dest, { recursive: true });
    chmodSync(dest, item.mode);
    return;
  }
  mkdirSync(posix.dirname(dest), { recursive: true });
  if (existsSync(dest) || isLink(dest)) rmSync(dest, { recursive: true, force: true });
  if (item.type === 'symlink') symlinkSync(item.linkpath!, dest);
  else if (item.type === 'hardlink') {
    const from = join(root, placeLink(item.linkpath!));
    if (!existsSync(from)) throw new ImageBuildError(`system packages: ${to} is a hard link to ${item.linkpath}, which the package does not have`);
    linkSync(from, dest);
  } else {
    writeFileSync(dest, item.data!);
    chmodSync(dest, item.mode);
  }
}

function isLink(p: string): boolean {
  try {
    return lstatSync(p).isSymbolicLink();
  } catch {
    return false;
  }
}
