import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, posix } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { normalTarPath } from './deb';
import { ImageBuildError } from './errors';
import type { Descriptor, RegistryClient } from './registry';

/**
 * What the system-packages layer needs to know about the base image's file system, read from its
 * layers (pulled through our registry client, cached per layer digest): the OS, the dpkg
 * database, dpkg's path filters, and every symlink (so that files a package ships under
 * /lib or /bin land in /usr/lib and /usr/bin on a merged-/usr base instead of replacing the link).
 * Layers apply bottom-up with their whiteouts (`.wh.<name>`, `.wh..wh..opq`).
 */
export interface BaseRootfs {
  readonly os: { id: string; codename: string; prettyName: string };
  /** /var/lib/dpkg/status ('' when the base has no dpkg database). */
  readonly dpkgStatus: string;
  /** The contents of /etc/dpkg/dpkg.cfg.d/*, in name order. */
  readonly dpkgConfig: string;
  /** Image path (no leading /) → symlink target. */
  readonly symlinks: ReadonlyMap<string, string>;
  /** Image paths of the base's regular files and directories. */
  readonly present: ReadonlySet<string>;
  /** The base layers' digests: with the package set, they determine the system-packages layer. */
  readonly layerDigests: readonly string[];
}

const WANTED_FILES = /^(etc\/os-release|usr\/lib\/os-release|var\/lib\/dpkg\/status|etc\/dpkg\/dpkg\.cfg\.d\/[^/]+)$/;

export type Entry = { kind: 'symlink'; target: string } | { kind: 'file'; text?: string } | { kind: 'dir' };
export interface LayerFacts {
  entries: [string, Entry][];
  whiteouts: string[];
  opaque: string[];
}

async function layerFacts(client: RegistryClient, repo: string, d: Descriptor): Promise<LayerFacts> {
  const facts: LayerFacts = { entries: [], whiteouts: [], opaque: [] };
  const res = await client.getBlob(repo, d.digest);
  const parser = new Parser({
    onReadEntry: (e: ReadEntry) => {
      const path = normalTarPath(e.path);
      const base = posix.basename(path);
      const dir = posix.dirname(path) === '.' ? '' : posix.dirname(path);
      if (base === '.wh..wh..opq') facts.opaque.push(dir);
      else if (base.startsWith('.wh.')) facts.whiteouts.push(posix.join(dir, base.slice(4)));
      else if (e.type === 'SymbolicLink') facts.entries.push([path, { kind: 'symlink', target: e.linkpath ?? '' }]);
      else if (e.type === 'File' && WANTED_FILES.test(path)) {
        const chunks: Buffer[] = [];
        e.on('data', (c: Buffer) => chunks.push(c));
        e.on('end', () => facts.entries.push([path, { kind: 'file', text: Buffer.concat(chunks).toString('utf8') }]));
        return;
      } else if (e.type === 'Directory') facts.entries.push([path, { kind: 'dir' }]);
      else if (e.type === 'File' || e.type === 'Link') facts.entries.push([path, { kind: 'file' }]);
      e.resume();
    },
  });
  const gz = d.mediaType.endsWith('gzip') || d.mediaType.endsWith('tar+gzip');
  if (!gz && !d.mediaType.endsWith('.tar') && !d.mediaType.endsWith('tar'))
    throw new ImageBuildError(`system packages: base layer ${d.digest.slice(0, 19)} is ${d.mediaType}; only gzip or plain tar layers can be read`);
  const body = Readable.fromWeb(res.body as import('node:stream/web').ReadableStream);
  const sink = parser as unknown as NodeJS.WritableStream;
  await (gz ? pipeline(body, createGunzip(), sink) : pipeline(body, sink));
  return facts;
}

/** Applies the base's layers (facts cached in `cacheDir/base-layers/<digest>.json`). Only names, links and the few files above are kept. */
export async function readBaseRootfs(
  client: RegistryClient,
  repo: string,
  layers: readonly Descriptor[],
  cacheDir: string,
  onNote: (line: string) => void = () => {},
): Promise<BaseRootfs> {
  const dir = join(cacheDir, 'base-layers');
  mkdirSync(dir, { recursive: true });
  const all: LayerFacts[] = [];
  for (const d of layers) {
    const file = join(dir, `${d.digest.replace(':', '-')}.json`);
    if (existsSync(file)) all.push(JSON.parse(readFileSync(file, 'utf8')) as LayerFacts);
    else {
      onNote(`read base layer ${d.digest.slice(0, 19)} (${d.size} bytes) for its OS and dpkg database`);
      const facts = await layerFacts(client, repo, d);
      writeFileSync(file, JSON.stringify(facts));
      all.push(facts);
    }
  }
  return rootfsOf(
    all,
    layers.map((d) => d.digest),
  );
}

/** Applies layers bottom-up: opaque directories and whiteouts remove what lower layers had, then the layer's own entries. */
export function rootfsOf(layers: readonly LayerFacts[], layerDigests: readonly string[]): BaseRootfs {
  const fs = new Map<string, Entry>();
  const dropUnder = (p: string, self: boolean) => {
    for (const k of [...fs.keys()]) if ((self && k === p) || k.startsWith(p ? `${p}/` : '')) fs.delete(k);
  };
  for (const facts of layers) {
    for (const o of facts.opaque) dropUnder(o, false);
    for (const w of facts.whiteouts) dropUnder(w, true);
    for (const [p, e] of facts.entries) {
      if (fs.get(p)?.kind === 'dir' && e.kind !== 'dir') dropUnder(p, false);
      fs.set(p, e);
    }
  }
  const symlinks = new Map<string, string>();
  for (const [p, e] of fs) if (e.kind === 'symlink') symlinks.set(p, e.target);
  const text = (p: string): string | undefined => {
    const r = resolveIn(symlinks, p);
    const e = fs.get(r);
    return e?.kind === 'file' ? e.text : undefined;
  };
  const osRelease = Object.fromEntries(
    [...(text('etc/os-release') ?? text('usr/lib/os-release') ?? '').matchAll(/^(\w+)=("?)(.*)\2$/gm)].map((m) => [m[1]!, m[3]!]),
  );
  const dpkgConfig = [...fs.keys()]
    .filter((p) => p.startsWith('etc/dpkg/dpkg.cfg.d/'))
    .sort()
    .map((p) => text(p) ?? '')
    .join('\n');
  const present = new Set([...fs.entries()].filter(([, e]) => e.kind !== 'symlink').map(([p]) => p));
  return {
    os: { id: osRelease.ID ?? '', codename: osRelease.VERSION_CODENAME ?? osRelease.UBUNTU_CODENAME ?? '', prettyName: osRelease.PRETTY_NAME ?? '' },
    dpkgStatus: text('var/lib/dpkg/status') ?? '',
    dpkgConfig,
    symlinks,
    present,
    layerDigests,
  };
}

/**
 * `path` (image path, no leading /) with every symlinked directory on the way replaced by its
 * target, as the kernel would walk it in the base (`lib/x86_64-linux-gnu/libz.so.1` → `usr/lib/…`
 * on a merged-/usr base). `followLast`: resolve the last component too.
 */
export function resolveIn(symlinks: ReadonlyMap<string, string>, path: string, followLast = true): string {
  let parts = path.split('/').filter(Boolean);
  for (let i = 0, hops = 0; i < parts.length; i++) {
    if (i === parts.length - 1 && !followLast) break;
    const prefix = parts.slice(0, i + 1).join('/');
    const target = symlinks.get(prefix);
    if (target === undefined) continue;
    if (++hops > 40) throw new ImageBuildError(`system packages: too many symlinks resolving /${path} in the base`);
    const joined = target.startsWith('/') ? target : posix.join(posix.dirname(`/${prefix}`), target);
    parts = [...posix.normalize(joined).split('/').filter(Boolean), ...parts.slice(i + 1)];
    i = -1;
  }
  return parts.join('/');
}
