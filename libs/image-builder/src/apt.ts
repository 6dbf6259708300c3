import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { decompressMember, parseControl } from './deb';
import { ImageBuildError } from './errors';

/**
 * Just enough apt for the system-packages layer: the distribution's Packages indexes from a
 * mirror (checked against the suite's Release file), a dependency closure, and .deb downloads
 * checked against the index's SHA256, all cached by content.
 *
 * Not apt: versions are not compared. A dependency counts as met when a package of that name
 * (or one Providing it) is installed in the base or chosen here, whatever its version; of a
 * package listed by several suites the last suite's entry wins (security and updates come after
 * the release, and only ever carry newer versions). Recommends are not followed (the Dockerfile
 * installs with --no-install-recommends). The Release file's signature is not checked: the
 * mirror is trusted as apt trusts an unsigned `[trusted=yes]` source.
 */
export interface AptPackage {
  readonly name: string;
  readonly version: string;
  readonly architecture: string;
  readonly filename: string;
  readonly sha256: string;
  readonly size: number;
  /** Pre-Depends then Depends, each clause a list of alternatives (names only). */
  readonly depends: readonly (readonly string[])[];
  readonly provides: readonly string[];
  /** The mirror the package comes from (its Filename is relative to it). */
  readonly mirror: string;
  /** The index stanza, for /var/lib/dpkg/status. */
  readonly stanza: Readonly<Record<string, string>>;
}

/** `a (>= 1) | b:any, c` → [['a','b'],['c']]: versions and arch qualifiers dropped. */
export function parseDependsField(field: string | undefined): string[][] {
  if (!field?.trim()) return [];
  return field
    .split(',')
    .map((clause) =>
      clause
        .split('|')
        .map((alt) =>
          alt
            .replace(/\(.*?\)|\[.*?\]|<.*?>/g, '')
            .trim()
            .replace(/:\w+$/, ''),
        )
        .filter(Boolean),
    )
    .filter((alts) => alts.length > 0);
}

export interface AptIndex {
  readonly packages: ReadonlyMap<string, AptPackage>;
  /** virtual name → packages providing it, in index order. */
  readonly providers: ReadonlyMap<string, readonly string[]>;
  /** Where it came from, for messages. */
  readonly sources: readonly string[];
}

/** Parses Packages texts (one per suite/component, later ones winning) into one index; only amd64 and all. */
export function buildIndex(texts: readonly { mirror: string; text: string }[], sources: readonly string[] = []): AptIndex {
  const packages = new Map<string, AptPackage>();
  for (const { mirror, text } of texts) {
    for (const s of parseControl(text)) {
      const arch = s.Architecture ?? '';
      if (!s.Package || !s.Filename || (arch !== 'amd64' && arch !== 'all')) continue;
      packages.set(s.Package, {
        name: s.Package,
        version: s.Version ?? '',
        architecture: arch,
        filename: s.Filename,
        sha256: s.SHA256 ?? '',
        size: Number(s.Size ?? 0),
        depends: [...parseDependsField(s['Pre-Depends']), ...parseDependsField(s.Depends)],
        provides: parseDependsField(s.Provides).map((a) => a[0]!),
        mirror,
        stanza: s,
      });
    }
  }
  const providers = new Map<string, string[]>();
  for (const p of packages.values()) for (const v of p.provides) providers.set(v, [...(providers.get(v) ?? []), p.name]);
  return { packages, providers, sources };
}

/** What /var/lib/dpkg/status says is installed: the package names and what they provide. */
export function installedNames(statusText: string): Set<string> {
  const out = new Set<string>();
  for (const s of parseControl(statusText)) {
    if (!s.Package || !/\binstalled$/.test(s.Status ?? '')) continue;
    out.add(s.Package);
    for (const [v] of parseDependsField(s.Provides)) out.add(v!);
  }
  return out;
}

/**
 * The packages to add so that `wanted` and their Pre-Depends/Depends closure are present, given
 * what is installed: for `a | b` the first alternative already present, else the first one the
 * index has (a real package, else the first that Provides it). Sorted by name.
 */
export function resolveClosure(wanted: readonly string[], index: AptIndex, installed: ReadonlySet<string>): AptPackage[] {
  const chosen = new Map<string, AptPackage>();
  const present = new Set(installed);
  const where = index.sources.length ? ` in ${index.sources.join(', ')}` : '';
  const pick = (name: string): AptPackage | undefined => index.packages.get(name) ?? index.packages.get(index.providers.get(name)?.[0] ?? '');
  const add = (p: AptPackage): void => {
    chosen.set(p.name, p);
    present.add(p.name);
    for (const v of p.provides) present.add(v);
    for (const alts of p.depends) {
      if (alts.some((a) => present.has(a))) continue;
      const next = alts.map(pick).find(Boolean);
      if (!next) throw new ImageBuildError(`system packages: ${p.name} depends on ${alts.join(' | ')}, which no index has${where}`);
      add(next);
    }
  };
  for (const name of wanted) {
    if (present.has(name)) continue;
    const p = pick(name);
    if (!p) throw new ImageBuildError(`system packages: no package ${name}${where}`);
    add(p);
  }
  return [...chosen.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

export interface AptSource {
  readonly mirror: string;
  readonly suite: string;
  readonly components: readonly string[];
}

export interface BaseOs {
  readonly id: string;
  readonly codename: string;
}

/**
 * Where the base's distribution lives: Debian → deb.debian.org (release + updates) and its
 * security archive; Ubuntu → archive.ubuntu.com (release, updates, security; main + universe,
 * where Ubuntu keeps ffmpeg). VAD_APT_MIRROR (or `mirror`) replaces the main mirror,
 * VAD_APT_SECURITY_MIRROR Debian's security one.
 */
export function aptSourcesFor(os: BaseOs, o: { mirror?: string; securityMirror?: string } = {}): AptSource[] {
  const trim = (u: string) => u.replace(/\/+$/, '');
  const c = os.codename;
  if (os.id === 'debian') {
    const mirror = trim(o.mirror ?? 'http://deb.debian.org/debian');
    const security = trim(o.securityMirror ?? 'http://deb.debian.org/debian-security');
    return [
      { mirror, suite: c, components: ['main'] },
      { mirror, suite: `${c}-updates`, components: ['main'] },
      { mirror: security, suite: `${c}-security`, components: ['main'] },
    ];
  }
  if (os.id === 'ubuntu') {
    const mirror = trim(o.mirror ?? 'http://archive.ubuntu.com/ubuntu');
    const security = trim(o.securityMirror ?? mirror);
    const components = ['main', 'universe'];
    return [
      { mirror, suite: c, components },
      { mirror, suite: `${c}-updates`, components },
      { mirror: security, suite: `${c}-security`, components },
    ];
  }
  throw new ImageBuildError(
    `system packages: the base is ${os.id || 'an unknown OS'} ${c}; only Debian and Ubuntu bases are supported (or use a base that has them)`,
  );
}

const sha256hex = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

/** Downloads and caches by content under `cacheDir`: Release files for `maxAgeSeconds`, everything else by its SHA256 forever. */
export class AptCache {
  constructor(
    readonly cacheDir: string,
    readonly maxAgeSeconds = 86_400,
    private readonly onNote: (line: string) => void = () => {},
  ) {
    mkdirSync(join(cacheDir, 'sha256'), { recursive: true });
    mkdirSync(join(cacheDir, 'release'), { recursive: true });
  }

  downloaded = 0;

  private async get(url: string): Promise<Buffer> {
    const res = await fetch(url).catch((e: Error) => {
      throw new ImageBuildError(`apt mirror: GET ${url} failed: ${e.message}${e.cause ? ` (${(e.cause as Error).message})` : ''}`);
    });
    if (!res.ok) throw new ImageBuildError(`apt mirror: GET ${url}: HTTP ${res.status}`);
    const b = Buffer.from(await res.arrayBuffer());
    this.downloaded += b.length;
    return b;
  }

  private put(file: string, data: Buffer): void {
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, data);
    renameSync(tmp, file);
  }

  /** A suite's Release file, refetched when older than maxAgeSeconds (so a rebuild within that window sees the same indexes). */
  async release(source: AptSource): Promise<string> {
    const url = `${source.mirror}/dists/${source.suite}/Release`;
    const file = join(this.cacheDir, 'release', `${sha256hex(Buffer.from(url))}.txt`);
    if (existsSync(file) && Date.now() - statSync(file).mtimeMs < this.maxAgeSeconds * 1000) return readFileSync(file, 'utf8');
    this.onNote(`fetch ${url}`);
    const b = await this.get(url);
    this.put(file, b);
    return b.toString('utf8');
  }

  /** `url`'s bytes, which must hash to `sha256` (hex); served from the cache when already there. */
  async verified(url: string, sha256: string, what: string): Promise<Buffer> {
    if (!/^[0-9a-f]{64}$/.test(sha256)) throw new ImageBuildError(`system packages: ${what} has no SHA256 in its index`);
    const file = join(this.cacheDir, 'sha256', sha256);
    if (existsSync(file)) return readFileSync(file);
    const b = await this.get(url);
    const got = sha256hex(b);
    if (got !== sha256) throw new ImageBuildError(`system packages: ${what} from ${url} has SHA256 ${got}, its index says ${sha256}`);
    this.put(file, b);
    return b;
  }

  /** The Packages index of every source's components (binary-amd64), the compressed file the Release lists with its SHA256. */
  async index(sources: readonly AptSource[]): Promise<AptIndex> {
    const texts: { mirror: string; text: string }[] = [];
    const names: string[] = [];
    for (const s of sources) {
      const release = await this.release(s);
      const sums = new Map<string, string>();
      const section = release.split(/^SHA256:\s*$/m)[1]?.split(/^\S/m)[0] ?? '';
      for (const m of section.matchAll(/^\s+([0-9a-f]{64})\s+\d+\s+(\S+)$/gm)) sums.set(m[2]!, m[1]!);
      for (const comp of s.components) {
        const name = ['gz', 'xz'].map((ext) => `${comp}/binary-amd64/Packages.${ext}`).find((n) => sums.has(n));
        if (!name) throw new ImageBuildError(`system packages: ${s.mirror} ${s.suite} lists no ${comp}/binary-amd64/Packages.{gz,xz}`);
        const packed = await this.verified(`${s.mirror}/dists/${s.suite}/${name}`, sums.get(name)!, `${s.suite} ${name}`);
        const text = await decompressMember({ name, data: packed });
        texts.push({ mirror: s.mirror, text: text.toString('utf8') });
        names.push(`${s.mirror} ${s.suite}/${comp}`);
      }
    }
    return buildIndex(texts, names);
  }

  deb(p: AptPackage): Promise<Buffer> {
    return this.verified(`${p.mirror}/${p.filename}`, p.sha256, `${p.name} ${p.version}`);
  }
}
