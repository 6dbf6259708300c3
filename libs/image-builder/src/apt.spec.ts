import { aptSourcesFor, buildIndex, installedNames, parseDependsField, resolveClosure } from './apt';

const PACKAGES = `Package: app
Version: 1
Architecture: amd64
Depends: libfoo (>= 2), mail-transport-agent | exim4, libc6
Pre-Depends: init-helper
Filename: pool/app.deb
SHA256: aa

Package: libfoo
Version: 2
Architecture: amd64
Depends: libbar:any | libbaz, base-thing
Filename: pool/libfoo.deb

Package: libbar
Version: 1
Architecture: amd64
Filename: pool/libbar.deb

Package: libbaz
Version: 1
Architecture: amd64
Filename: pool/libbaz.deb

Package: exim4
Version: 1
Architecture: all
Filename: pool/exim4.deb

Package: postfix
Version: 1
Architecture: amd64
Provides: mail-transport-agent
Filename: pool/postfix.deb

Package: init-helper
Version: 1
Architecture: amd64
Filename: pool/init-helper.deb

Package: arm-only
Version: 1
Architecture: arm64
Filename: pool/arm.deb

Package: broken
Version: 1
Architecture: amd64
Depends: nowhere | nothing
Filename: pool/broken.deb
`;

const STATUS = `Package: libc6
Status: install ok installed
Version: 2.36

Package: old-thing
Status: deinstall ok config-files

Package: base-provider
Status: install ok installed
Provides: base-thing (= 1)
`;

describe('apt dependency resolution', () => {
  const index = buildIndex([{ mirror: 'http://m', text: PACKAGES }], ['http://m bookworm/main']);

  it('Depends fields: clauses of alternatives, versions and arch qualifiers dropped', () => {
    expect(parseDependsField('a (>= 1:2.0) | b:any, c [amd64], d <!nocheck>')).toEqual([['a', 'b'], ['c'], ['d']]);
    expect(parseDependsField(undefined)).toEqual([]);
  });

  it('what the dpkg status has installed: names and what they provide, not removed ones', () => {
    expect([...installedNames(STATUS)].sort()).toEqual(['base-provider', 'base-thing', 'libc6']);
  });

  it('the closure: first present alternative, else the first the index has (real before virtual), minus the installed; sorted', () => {
    const names = resolveClosure(['app'], index, installedNames(STATUS)).map((p) => p.name);
    // mail-transport-agent is virtual: postfix provides it, and it is the first alternative.
    expect(names).toEqual(['app', 'init-helper', 'libbar', 'libfoo', 'postfix']);
    expect(resolveClosure(['app'], index, new Set([...installedNames(STATUS), 'exim4'])).map((p) => p.name)).not.toContain('postfix');
    expect(resolveClosure(['libc6'], index, installedNames(STATUS))).toEqual([]);
  });

  it('only amd64 and all packages; the last index wins for a name (updates after the release)', () => {
    expect(index.packages.has('arm-only')).toBe(false);
    const two = buildIndex([
      { mirror: 'http://m', text: PACKAGES },
      { mirror: 'http://sec', text: 'Package: libbar\nVersion: 1+sec\nArchitecture: amd64\nFilename: pool/libbar-sec.deb\n' },
    ]);
    expect(two.packages.get('libbar')).toMatchObject({ version: '1+sec', mirror: 'http://sec' });
  });

  it('an unsatisfiable dependency or unknown package is an image_build_failed error naming it and the sources', () => {
    expect(() => resolveClosure(['broken'], index, new Set())).toThrow(
      'system packages: broken depends on nowhere | nothing, which no index has in http://m bookworm/main',
    );
    expect(() => resolveClosure(['ffmpeg'], index, new Set())).toThrow(
      expect.objectContaining({ code: 'image_build_failed', message: expect.stringContaining('no package ffmpeg') }),
    );
  });

  it('sources per distribution: Debian release + updates + security; Ubuntu with universe; a mirror override', () => {
    expect(aptSourcesFor({ id: 'debian', codename: 'bookworm' }).map((s) => `${s.mirror} ${s.suite}`)).toEqual([
      'http://deb.debian.org/debian bookworm',
      'http://deb.debian.org/debian bookworm-updates',
      'http://deb.debian.org/debian-security bookworm-security',
    ]);
    expect(aptSourcesFor({ id: 'ubuntu', codename: 'jammy' }, { mirror: 'http://mirror.local/ubuntu/' })).toEqual([
      { mirror: 'http://mirror.local/ubuntu', suite: 'jammy', components: ['main', 'universe'] },
      { mirror: 'http://mirror.local/ubuntu', suite: 'jammy-updates', components: ['main', 'universe'] },
      { mirror: 'http://mirror.local/ubuntu', suite: 'jammy-security', components: ['main', 'universe'] },
    ]);
    expect(() => aptSourcesFor({ id: 'alpine', codename: '' })).toThrow(/only Debian and Ubuntu/);
  });
});
