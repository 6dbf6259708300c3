import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync } from 'node:zlib';
import { tinyModelSpec } from '@vad/core/testing';
import { sha256Bytes, VadError, writeModelDir } from '@vad/core';
import { packModelDir } from './pack';
import { unpackModel } from './unpack';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vad-pack-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

/** Members of an uncompressed tar as [path, type flag, mode, uid, gid, mtime, uname]. */
function members(tar: Buffer): [string, string, string, number, number, number, string][] {
  const out: [string, string, string, number, number, number, string][] = [];
  for (let at = 0; at + 512 <= tar.length;) {
    const h = tar.subarray(at, at + 512);
    if (h.every((b) => b === 0)) break;
    const field = (o: number, n: number) =>
      h
        .subarray(o, o + n)
        .toString('utf8')
        .replace(/\0.*$/s, '');
    const size = parseInt(field(124, 12), 8);
    const prefix = field(345, 155);
    out.push([
      (prefix ? prefix + '/' : '') + field(0, 100),
      field(156, 1),
      field(100, 8),
      parseInt(field(108, 8), 8),
      parseInt(field(116, 8), 8),
      parseInt(field(136, 12), 8),
      field(265, 32),
    ]);
    at += 512 + Math.ceil(size / 512) * 512;
  }
  return out;
}

describe('packModelDir', () => {
  it('packs deterministically: same model, same bytes, even after the files are touched', async () => {
    const dir = join(root, 'model');
    await writeModelDir(tinyModelSpec({ appearance: true }), dir);
    const a = await packModelDir(dir, join(root, 'a.tar.gz'));
    // Rewrite a file with the same content: new mtime, same model.
    await writeFile(join(dir, 'config.yaml'), await readFile(join(dir, 'config.yaml')));
    const b = await packModelDir(dir, join(root, 'b.tar.gz'));
    expect(a.sha256).toBe(b.sha256);
    expect(a.sha256).toBe(sha256Bytes(await readFile(join(root, 'a.tar.gz'))));
    expect(a.bytes).toBe((await readFile(join(root, 'a.tar.gz'))).length);
  });

  it('writes sorted plain members with fixed owners, modes and mtimes, and a gzip header without time or name', async () => {
    const dir = join(root, 'model');
    await writeModelDir(tinyModelSpec(), dir);
    const { path } = await packModelDir(dir, join(root, 'model.tar.gz'));
    const gz = await readFile(path);
    expect(gz.readUInt32LE(4)).toBe(0); // MTIME
    expect(gz[3]! & 0x08).toBe(0); // no FNAME
    expect(members(gunzipSync(gz))).toEqual([
      ['config.yaml', '0', '000644 ', 0, 0, 0, ''],
      ['density.safetensors', '0', '000644 ', 0, 0, 0, ''],
      ['manifest.json', '0', '000644 ', 0, 0, 0, ''],
      ['onnx/', '5', '000755 ', 0, 0, 0, ''],
      ['onnx/pose.onnx', '0', '000644 ', 0, 0, 0, ''],
      ['onnx/regions.onnx', '0', '000644 ', 0, 0, 0, ''],
    ]);
  });

  it('leaves unknown files out and round-trips through unpack', async () => {
    const dir = join(root, 'model');
    await writeModelDir(tinyModelSpec(), dir);
    await writeFile(join(dir, 'notes.txt'), 'not part of the model');
    const packed = await packModelDir(dir, join(root, 'model.tar.gz'));
    expect(packed.skipped).toEqual(['notes.txt']);
    const report = await unpackModel(packed.path, join(root, 'out'));
    expect(report.warnings).toEqual([]);
    for (const f of report.files) expect(await readFile(join(root, 'out', f.path))).toEqual(await readFile(join(dir, f.path)));
  });

  it('refuses to pack an invalid model dir', async () => {
    const dir = join(root, 'model');
    await writeModelDir(tinyModelSpec(), dir);
    await writeFile(join(dir, 'density.safetensors'), 'tampered');
    const e = await packModelDir(dir, join(root, 'x.tar.gz')).catch((err: unknown) => err);
    expect(e).toBeInstanceOf(VadError);
    expect((e as VadError).code).toBe('digest_mismatch');
  });

  it('writes an archive GNU tar lists and extracts to the same bytes', async () => {
    const dir = join(root, 'model');
    await writeModelDir(tinyModelSpec(), dir);
    const { path } = await packModelDir(dir, join(root, 'model.tar.gz'));
    const listing = execFileSync('tar', ['-tvzf', path], { encoding: 'utf8', env: { ...process.env, TZ: 'UTC' } });
    expect(listing).toMatch(/^-rw-r--r-- 0\/0 +\d+ 1970-01-01 00:00 config\.yaml$/m);
    await mkdir(join(root, 'gnu'));
    execFileSync('tar', ['-xzf', path, '-C', join(root, 'gnu')]);
    for (const f of ['manifest.json', 'config.yaml', 'density.safetensors', 'onnx/pose.onnx']) {
      expect(await readFile(join(root, 'gnu', f))).toEqual(await readFile(join(dir, f)));
    }
  });

  it('reports progress up to the total', async () => {
    const dir = join(root, 'model');
    await writeModelDir(tinyModelSpec(), dir);
    const seen: number[] = [];
    let total = 0;
    await packModelDir(dir, join(root, 'p.tar.gz'), {
      onProgress: (p) => {
        seen.push(p.done);
        total = p.total;
      },
    });
    expect(seen.length).toBeGreaterThan(0);
    expect(seen[seen.length - 1]).toBe(total);
  });
});
