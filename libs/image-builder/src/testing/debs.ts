import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { gzipSync } from 'node:zlib';

/** Real .deb files for tests, built by dpkg-deb, and a tiny apt mirror on loopback serving them. */
export interface TestPackage {
  readonly name: string;
  readonly depends?: string;
  readonly provides?: string;
  /** Image path → content (a string) or `-> target` for a symlink. */
  readonly files?: Record<string, string>;
  readonly postinst?: string;
}

export function makeDeb(dir: string, p: TestPackage, compression: 'xz' | 'zstd' | 'gzip' | 'none' = 'xz'): string {
  const root = join(dir, `${p.name}-${compression}`);
  mkdirSync(join(root, 'DEBIAN'), { recursive: true });
  const control = [`Package: ${p.name}`, 'Version: 1.0', 'Architecture: amd64', 'Maintainer: test <t@example.org>'];
  if (p.depends) control.push(`Depends: ${p.depends}`);
  if (p.provides) control.push(`Provides: ${p.provides}`);
  control.push(`Description: test package ${p.name}`, ' second line of the description');
  writeFileSync(join(root, 'DEBIAN/control'), `${control.join('\n')}\n`);
  if (p.postinst) {
    writeFileSync(join(root, 'DEBIAN/postinst'), p.postinst);
    chmodSync(join(root, 'DEBIAN/postinst'), 0o755);
  }
  for (const [path, content] of Object.entries(p.files ?? {})) {
    const to = join(root, path);
    mkdirSync(dirname(to), { recursive: true });
    if (content.startsWith('-> ')) symlinkSync(content.slice(3), to);
    else writeFileSync(to, content);
  }
  const out = join(dir, `${p.name}_1.0_amd64.${compression}.deb`);
  execFileSync('dpkg-deb', ['--root-owner-group', `-Z${compression}`, '--build', root, out], { stdio: 'ignore' });
  return out;
}

export interface TestMirror {
  readonly url: string;
  /** Paths requested so far. */
  readonly requests: string[];
  close(): Promise<void>;
}

/** Serves `dists/<suite>/Release`, `…/main/binary-amd64/Packages.gz` and `pool/<deb>` for the given debs (sha256 in the index, or a wrong one for `corrupt`). */
export async function startMirror(suites: Record<string, string[]>, corrupt: ReadonlySet<string> = new Set()): Promise<TestMirror> {
  const files = new Map<string, Buffer>();
  for (const [suite, debs] of Object.entries(suites)) {
    const stanzas = debs.map((deb) => {
      const bytes = readFileSync(deb);
      const name = deb.split('/').pop()!;
      files.set(`/pool/${name}`, bytes);
      const control = execFileSync('dpkg-deb', ['--field', deb], { encoding: 'utf8' }).trimEnd();
      const sha = createHash('sha256')
        .update(corrupt.has(name) ? Buffer.from('other') : bytes)
        .digest('hex');
      return `${control}\nFilename: pool/${name}\nSize: ${bytes.length}\nSHA256: ${sha}\n`;
    });
    const packages = gzipSync(Buffer.from(stanzas.join('\n')));
    files.set(`/dists/${suite}/main/binary-amd64/Packages.gz`, packages);
    const sha = createHash('sha256').update(packages).digest('hex');
    files.set(`/dists/${suite}/Release`, Buffer.from(`Suite: ${suite}\nSHA256:\n ${sha} ${packages.length} main/binary-amd64/Packages.gz\n`));
  }
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    const body = files.get(req.url ?? '');
    res.writeHead(body ? 200 : 404).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    requests,
    close: () => new Promise((r) => server.close(() => r())),
  };
}
