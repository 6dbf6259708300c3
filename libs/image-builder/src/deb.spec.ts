import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseAr, parseControl, readDeb, readTar } from './deb';
import { makeDeb } from './testing/debs';

describe('.deb reading', () => {
  let dir: string;
  beforeAll(() => (dir = mkdtempSync(join(tmpdir(), 'vad-deb-'))));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it.each(['xz', 'zstd', 'gzip', 'none'] as const)('a dpkg-deb -Z%s package: its ar members, control stanza and data entries', async (z) => {
    const deb = readFileSync(
      makeDeb(
        dir,
        { name: 'hello', depends: 'libc6 (>= 2.34)', files: { 'usr/bin/hello': '#!/bin/sh\necho hi\n', 'usr/lib/libhello.so': '-> libhello.so.1' } },
        z,
      ),
    );
    expect(parseAr(deb).map((m) => m.name)).toEqual([
      'debian-binary',
      z === 'none' ? 'control.tar' : expect.stringMatching(/^control\.tar\./),
      expect.stringMatching(/^data\.tar/),
    ]);
    const parts = await readDeb(deb, 'hello.deb');
    const control = (await readTar(parts.control, 'control')).find((e) => e.path === 'control')!;
    expect(parseControl(control.data!.toString())[0]).toMatchObject({ Package: 'hello', Version: '1.0', Depends: 'libc6 (>= 2.34)' });
    const data = await readTar(parts.data, 'data');
    expect(data.map((e) => [e.path, e.type])).toEqual(
      expect.arrayContaining([
        ['usr', 'dir'],
        ['usr/bin/hello', 'file'],
        ['usr/lib/libhello.so', 'symlink'],
      ]),
    );
    expect(data.find((e) => e.path === 'usr/bin/hello')!.data!.toString()).toBe('#!/bin/sh\necho hi\n');
    expect(data.find((e) => e.path === 'usr/lib/libhello.so')!.linkpath).toBe('libhello.so.1');
  });

  it('refuses what is not an ar archive or not a Debian package, naming it', async () => {
    expect(() => parseAr(Buffer.from('PK\x03\x04 not ar'), 'x.deb')).toThrow('x.deb is not an ar archive');
    const ar = Buffer.concat([
      Buffer.from('!<arch>\n'),
      Buffer.from(`${'other/'.padEnd(16)}${'0'.padEnd(12)}${'0'.padEnd(6)}${'0'.padEnd(6)}${'100644'.padEnd(8)}${'2'.padEnd(10)}\`\n`),
      Buffer.from('hi'),
    ]);
    expect(parseAr(ar).map((m) => [m.name, m.data.toString()])).toEqual([['other', 'hi']]);
    await expect(readDeb(ar, 'y.deb')).rejects.toThrow('y.deb is not a Debian binary package');
  });

  it('control syntax: stanzas, continuation lines, comments', () => {
    expect(parseControl('# c\nPackage: a\nDescription: one\n two\n\n\nPackage: b\n')).toEqual([{ Package: 'a', Description: 'one\n two' }, { Package: 'b' }]);
  });
});
