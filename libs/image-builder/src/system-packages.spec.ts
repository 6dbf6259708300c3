import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { list } from 'tar';
import { rootfsOf, type BaseRootfs } from './base-rootfs';
import { alternativesIn, buildSystemPackagesLayer, dpkgPathFilter } from './system-packages';
import { makeDeb, startMirror, type TestMirror } from './testing/debs';

const BLAS_POSTINST = `#!/bin/sh
set -e
update-alternatives --install /usr/lib/x86_64-linux-gnu/libblas.so.3 \\
                    libblas.so.3-x86_64-linux-gnu \\
\t            /usr/lib/x86_64-linux-gnu/blas/libblas.so.3 10
update-alternatives --install /usr/bin/x x-$ARCH /usr/lib/$ARCH/x 5
`;

/** A merged-/usr Debian base with libc6 and dpkg's doc filter, as debian:bookworm-slim has. */
const base = (extraStatus = ''): BaseRootfs =>
  rootfsOf(
    [
      {
        entries: [
          ['bin', { kind: 'symlink', target: 'usr/bin' }],
          ['lib', { kind: 'symlink', target: 'usr/lib' }],
          ['usr', { kind: 'dir' }],
          ['usr/lib', { kind: 'dir' }],
          ['etc/os-release', { kind: 'symlink', target: '../usr/lib/os-release' }],
          ['usr/lib/os-release', { kind: 'file', text: 'PRETTY_NAME="Test Linux"\nID=debian\nVERSION_CODENAME=test\n' }],
          ['var/lib/dpkg/status', { kind: 'file', text: `Package: libc6\nStatus: install ok installed\nVersion: 2.36\n${extraStatus}` }],
          ['etc/dpkg/dpkg.cfg.d/docker', { kind: 'file', text: 'path-exclude /usr/share/doc/*\npath-include /usr/share/doc/*/copyright\n' }],
        ],
        whiteouts: [],
        opaque: [],
      },
    ],
    ['sha256:base'],
  );

async function entries(file: string): Promise<Map<string, string>> {
  const out = new Map<string, string>();
  await list({ file, onReadEntry: (e) => out.set(e.path, e.type === 'SymbolicLink' ? `-> ${e.linkpath}` : e.type) });
  return out;
}

describe('system-packages layer', () => {
  let dir: string;
  let mirror: TestMirror;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'vad-syspkg-'));
    const debs = [
      makeDeb(dir, {
        name: 'tool',
        depends: 'libblas3 | libopenblas0, libc6 (>= 2.34), libtool1',
        files: {
          'bin/tool': '#!/bin/sh\n',
          'usr/share/doc/tool/README': 'docs',
          'usr/share/doc/tool/copyright': 'GPL',
          'etc/ld.so.conf.d/tool.conf': '# tool\n/opt/tool/lib\n/usr/lib/x86_64-linux-gnu\n',
        },
      }),
      makeDeb(dir, { name: 'libblas3', files: { 'usr/lib/x86_64-linux-gnu/blas/libblas.so.3': 'ELF' }, postinst: BLAS_POSTINST }, 'zstd'),
      makeDeb(dir, { name: 'libtool1', files: { 'lib/x86_64-linux-gnu/libtool.so.1': 'ELF' } }, 'gzip'),
      makeDeb(dir, { name: 'bad' }),
    ];
    mirror = await startMirror({ test: debs, 'test-updates': [], 'test-security': [] }, new Set(['bad_1.0_amd64.xz.deb']));
  });
  afterAll(async () => {
    await mirror?.close();
    rmSync(dir, { recursive: true, force: true });
  });
  const build = (name: string, wanted: string[], cacheDir = join(dir, `cache-${name}`)) =>
    buildSystemPackagesLayer({ wanted, base: base(), workDir: join(dir, `work-${name}`), cacheDir, mirror: mirror.url, securityMirror: mirror.url });

  it('adds the closure as one layer: merged-/usr paths, dpkg filters, alternatives, ld.so.conf dirs, dpkg status', async () => {
    const r = await build('a', ['tool', 'libc6']);
    expect(r.added.map((p) => p.name)).toEqual(['libblas3', 'libtool1', 'tool']);
    expect(r.summary).toMatch(/added tool and their dependencies \(3 packages, layer [\d.]+ MB\) from http:\/\/127\.0\.0\.1/);
    expect(r.libraryPaths).toEqual(['/opt/tool/lib']);
    const e = await entries(r.layer!.file);
    expect(e.get('usr/bin/tool')).toBe('File');
    expect(e.get('usr/lib/x86_64-linux-gnu/libtool.so.1')).toBe('File');
    // Nothing may replace the base's /bin and /lib symlinks with directories.
    expect([...e.keys()].filter((p) => /^(bin|lib)(\/|$)/.test(p))).toEqual([]);
    expect(e.has('usr/share/doc/tool/README')).toBe(false);
    expect(e.get('usr/share/doc/tool/copyright')).toBe('File');
    expect(e.get('usr/lib/x86_64-linux-gnu/libblas.so.3')).toBe('-> /etc/alternatives/libblas.so.3-x86_64-linux-gnu');
    expect(e.get('etc/alternatives/libblas.so.3-x86_64-linux-gnu')).toBe('-> /usr/lib/x86_64-linux-gnu/blas/libblas.so.3');
    // The alternative with shell variables in it is not guessed at.
    expect(e.has('usr/bin/x')).toBe(false);
    expect(e.get('var/lib/dpkg/status')).toBe('File');
    const status = execFileSync('tar', ['-xzOf', r.layer!.file, 'var/lib/dpkg/status'], { encoding: 'utf8' });
    expect(status).toMatch(/^Package: libc6\nStatus: install ok installed\n/);
    expect(status).toContain('\n\nPackage: tool\nStatus: install ok installed\nVersion: 1.0\n');
    expect(status).toContain('Description: test package tool\n second line of the description');
  });

  it('the same packages give the same layer digest from a fresh cache; a rebuild on the same cache downloads nothing', async () => {
    const a = await build('b1', ['tool']);
    const b = await build('b2', ['tool']);
    expect([b.layer!.digest, b.layer!.diffId]).toEqual([a.layer!.digest, a.layer!.diffId]);
    expect(a.downloadedBytes).toBeGreaterThan(0);
    const before = mirror.requests.length;
    const again = await build('b3', ['tool'], join(dir, 'cache-b1'));
    expect([again.layer!.digest, again.downloadedBytes, mirror.requests.length - before]).toEqual([a.layer!.digest, 0, 0]);
  });

  it('nothing to add when the base has every package; a .deb whose SHA256 differs from the index is refused, naming it', async () => {
    const has = await buildSystemPackagesLayer({
      wanted: ['tool'],
      base: base('\nPackage: tool\nStatus: install ok installed\n'),
      workDir: join(dir, 'work-c'),
      cacheDir: join(dir, 'cache-c'),
      mirror: 'http://127.0.0.1:1',
    });
    expect([has.layer, has.added, has.summary]).toEqual([undefined, [], 'system packages: the base (Test Linux) already has tool']);
    await expect(build('d', ['bad'])).rejects.toThrow(
      /bad 1\.0 from http:\/\/127\.0\.0\.1:\d+\/pool\/bad_1\.0_amd64\.xz\.deb has SHA256 [0-9a-f]{64}, its index says/,
    );
  });

  it('dpkg path filters: the last matching rule wins; update-alternatives lines with continuations', () => {
    const keep = dpkgPathFilter('path-exclude=/usr/share/doc/*\npath-include=/usr/share/doc/*/copyright\npath-exclude /usr/share/man/*\n');
    expect(['usr/share/doc/a/README', 'usr/share/doc/a/copyright', 'usr/share/man/man1/x.1.gz', 'usr/bin/x'].map(keep)).toEqual([false, true, false, true]);
    expect(alternativesIn(BLAS_POSTINST)).toEqual([
      {
        link: '/usr/lib/x86_64-linux-gnu/libblas.so.3',
        name: 'libblas.so.3-x86_64-linux-gnu',
        path: '/usr/lib/x86_64-linux-gnu/blas/libblas.so.3',
        priority: 10,
      },
    ]);
  });

  it('base layers apply bottom-up with whiteouts and opaque directories', () => {
    const r = rootfsOf(
      [
        {
          entries: [
            ['var/lib/dpkg/status', { kind: 'file', text: 'Package: a\nStatus: install ok installed\n' }],
            ['etc/os-release', { kind: 'file', text: 'ID=debian\n' }],
            ['opt/x', { kind: 'dir' }],
            ['opt/x/link', { kind: 'symlink', target: '/y' }],
          ],
          whiteouts: [],
          opaque: [],
        },
        { entries: [['etc/os-release', { kind: 'file', text: 'ID=ubuntu\nVERSION_CODENAME=jammy\n' }]], whiteouts: ['var/lib/dpkg/status'], opaque: ['opt/x'] },
      ],
      ['sha256:1', 'sha256:2'],
    );
    expect([r.os.id, r.os.codename, r.dpkgStatus, r.symlinks.has('opt/x/link')]).toEqual(['ubuntu', 'jammy', '', false]);
  });
});
