import { chmodSync, mkdirSync, mkdtempSync, rmSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { list } from 'tar';
import { tarLayer } from './layer';

function tree(root: string, mtime: Date, order: string[]): void {
  mkdirSync(join(root, 'opt/app/sub'), { recursive: true });
  for (const name of order) writeFileSync(join(root, 'opt/app', name), `content of ${name}`);
  writeFileSync(join(root, 'opt/app/sub/run'), '#!/bin/sh\n');
  chmodSync(join(root, 'opt/app/sub/run'), 0o755);
  symlinkSync('/opt/app/sub/run', join(root, 'opt/app/link'));
  for (const name of order) utimesSync(join(root, 'opt/app', name), mtime, mtime);
}

describe('tarLayer', () => {
  let dir: string;
  beforeEach(() => (dir = mkdtempSync(join(tmpdir(), 'vad-layer-'))));
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it("the same content gives the same digests whatever the files' times and creation order", async () => {
    tree(join(dir, 'a'), new Date('2020-01-01'), ['x', 'y', 'z']);
    tree(join(dir, 'b'), new Date('2024-06-30'), ['z', 'x', 'y']);
    const a = await tarLayer('t', join(dir, 'a'), join(dir, 'a.tar.gz'));
    const b = await tarLayer('t', join(dir, 'b'), join(dir, 'b.tar.gz'));
    expect([b.digest, b.diffId]).toEqual([a.digest, a.diffId]);
    expect(a.digest).not.toBe(a.diffId);
    writeFileSync(join(dir, 'b/opt/app/x'), 'changed');
    const c = await tarLayer('t', join(dir, 'b'), join(dir, 'c.tar.gz'));
    expect(c.digest).not.toBe(a.digest);
  });

  it('entries are sorted, owned by root, files dated 1970, modes and symlinks kept', async () => {
    tree(join(dir, 'a'), new Date('2020-01-01'), ['y', 'x']);
    const l = await tarLayer('t', join(dir, 'a'), join(dir, 'a.tar.gz'));
    const entries: { path: string; uid: number; gid: number; mtime: number; mode: number; type: string; linkpath: string }[] = [];
    await list({
      file: l.file,
      onReadEntry: (e) =>
        entries.push({
          path: e.path,
          uid: e.uid ?? 0,
          gid: e.gid ?? 0,
          mtime: e.mtime?.getTime() ?? -1,
          mode: e.mode ?? 0,
          type: e.type,
          linkpath: e.linkpath ?? '',
        }),
    });
    expect(entries.map((e) => e.path)).toEqual(['opt/', 'opt/app/', 'opt/app/link', 'opt/app/sub/', 'opt/app/sub/run', 'opt/app/x', 'opt/app/y']);
    // node-tar's portable mode records no mtime at all for directories (extractors read 1970).
    expect(entries.filter((e) => `${e.uid}:${e.gid}:${e.mtime}` !== (e.type === 'Directory' ? '0:0:-1' : '0:0:0')).map((e) => [e.path, e.mtime])).toEqual([]);
    expect(entries.find((e) => e.path === 'opt/app/sub/run')!.mode & 0o777).toBe(0o755);
    expect(entries.find((e) => e.path === 'opt/app/link')).toMatchObject({ type: 'SymbolicLink', linkpath: '/opt/app/sub/run' });
  });
});
