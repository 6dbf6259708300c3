import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tinyModelSpec } from '@vad/core/testing';
import { VadError, writeModelDir } from '@vad/core';
import { packModelDir } from './pack';
import { tarEnd, tarHeader, tarPadding, type TarHeaderFields } from './tar-writer';
import { unpackModel } from './unpack';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vad-unpack-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

type Member = TarHeaderFields & { data?: Buffer };

function tarGz(entries: Member[], tail: Buffer = tarEnd()): Buffer {
  const parts: Buffer[] = [];
  for (const e of entries) {
    const data = e.data ?? Buffer.alloc(0);
    parts.push(tarHeader({ ...e, size: e.type === 'file' ? (e.size ?? data.length) : 0 }));
    if (e.type === 'file') parts.push(data, tarPadding(data.length));
  }
  parts.push(tail);
  return gzipSync(Buffer.concat(parts));
}

async function expectRefused(archive: Buffer, message: RegExp, limits = {}): Promise<void> {
  const path = join(root, 'evil.tar.gz');
  await writeFile(path, archive);
  const e = await unpackModel(path, join(root, 'target', 'model'), { limits }).catch((err: unknown) => err);
  expect(e).toBeInstanceOf(VadError);
  expect((e as VadError).code).toBe('unsafe_archive');
  expect((e as VadError).message).toMatch(message);
  // Nothing was written outside, nor left behind.
  expect(existsSync(join(root, 'x'))).toBe(false);
  expect(existsSync(join(root, 'target', 'model'))).toBe(false);
  expect(await readdir(join(root, 'target')).catch(() => [])).toEqual([]);
}

const file = (path: string, text = 'data'): Member => ({ path, type: 'file', data: Buffer.from(text) });

describe('unpackModel refuses unsafe archives', () => {
  it('a member with ..', () => expectRefused(tarGz([file('config.yaml'), file('../x')]), /"\.\.\/x" has a path with \.\./));
  it('a member with .. deeper in the path', () => expectRefused(tarGz([file('onnx/../../x')]), /has a path with \.\./));
  it('an absolute path', () => expectRefused(tarGz([file('/tmp/abs')]), /"\/tmp\/abs" has an absolute path/));
  it('a symbolic link', () =>
    expectRefused(tarGz([{ path: 'link', type: 'symlink', linkname: '/etc/passwd' }]), /"link" is a symbolic link \(to "\/etc\/passwd"\)/));
  it('a hard link', () => expectRefused(tarGz([file('config.yaml'), { path: 'b', type: 'hardlink', linkname: 'config.yaml' }]), /"b" is a hard link/));
  it('a character device', () => expectRefused(tarGz([{ path: 'dev', type: 'char-device' }]), /"dev" is a device file/));
  it('a block device', () => expectRefused(tarGz([{ path: 'blk', type: 'block-device' }]), /"blk" is a device file/));
  it('a FIFO', () => expectRefused(tarGz([{ path: 'pipe', type: 'fifo' }]), /"pipe" is a FIFO/));
  it('an oversized member', () =>
    expectRefused(tarGz([file('density.safetensors', 'x'.repeat(2000))]), /"density.safetensors" is 2000 bytes, more than the 1000 allowed/, {
      maxEntryBytes: 1000,
    }));
  it('a total over the cap', () =>
    expectRefused(
      tarGz([file('config.yaml', 'x'.repeat(600)), file('density.safetensors', 'y'.repeat(600))]),
      /"density.safetensors" brings the archive to 1200 bytes/,
      { maxTotalBytes: 1000 },
    ));
  it('too many members', () =>
    expectRefused(
      tarGz(['config.yaml', 'density.safetensors', 'onnx/regions.onnx', 'onnx/flow.onnx', 'onnx/pose.onnx', 'onnx/appearance.onnx'].map((p) => file(p))),
      /"onnx\/appearance.onnx" is member number 6, more than the 5 allowed/,
      { maxEntries: 5 },
    ));
  it('a member given twice', () => expectRefused(tarGz([file('config.yaml', '1'), file('config.yaml', '2')]), /"config.yaml" appears twice/));
  it('a gzip bomb: zeros after the end of the archive are refused, not inflated', () =>
    expectRefused(tarGz([file('config.yaml')], Buffer.alloc(4 * 1024 * 1024)), /has data after the tar end-of-archive marker/));
  it('a gzip bomb: a member that inflates past the ratio cap', () =>
    expectRefused(tarGz([file('density.safetensors', '\0'.repeat(300_000))]), /inflates more than 100:1/, { ratioAfterBytes: 100_000 }));
  it('a member the model does not hold, before the manifest', () => expectRefused(tarGz([file('blob-0.bin')]), /"blob-0.bin" is not a model file/));
  it('a member the manifest does not list', () =>
    expectRefused(
      tarGz([file('manifest.json', JSON.stringify({ files: { 'config.yaml': 'x' } })), file('onnx/pose.onnx')]),
      /"onnx\/pose.onnx" is not listed in manifest.json/,
    ));
  it('an oversized manifest', () => expectRefused(tarGz([file('manifest.json', ' '.repeat(1024 * 1024 + 1))]), /more than the 1048576 a manifest.json needs/));
  it('an archive cut short inside a member', () =>
    expectRefused(
      tarGz([{ path: 'density.safetensors', type: 'file', size: 100_000, data: Buffer.alloc(1000) }], Buffer.alloc(0)),
      /truncated|cut short|end-of-archive/,
    ));
  it('an archive without its end-of-archive marker', () => expectRefused(tarGz([file('config.yaml')], Buffer.alloc(0)), /no end-of-archive marker/));
  it('a member that would eat into the free-disk reserve (disk_full, before it is written)', async () => {
    const path = join(root, 'model.tar.gz');
    await writeFile(path, tarGz([file('config.yaml', 'x'.repeat(4096))]));
    const e = await unpackModel(path, join(root, 'target', 'model'), { limits: { reserveBytes: Number.MAX_SAFE_INTEGER } }).catch((err: unknown) => err);
    expect((e as VadError).code).toBe('disk_full');
    expect((e as VadError).message).toMatch(/"config.yaml" \(4096 bytes\) does not fit/);
    expect(await readdir(join(root, 'target'))).toEqual([]);
  });
  it('a file that is not gzip', async () => {
    const path = join(root, 'plain.tar.gz');
    await writeFile(path, 'hello, not gzip');
    const e = await unpackModel(path, join(root, 'm')).catch((err: unknown) => err);
    expect((e as VadError).code).toBe('unsafe_archive');
    expect(existsSync(join(root, 'm'))).toBe(false);
  });
});

describe('unpackModel', () => {
  async function packed(): Promise<{ path: string; dir: string }> {
    const dir = join(root, 'src-model');
    await writeModelDir(tinyModelSpec(), dir);
    return { path: (await packModelDir(dir, join(root, 'model.tar.gz'))).path, dir };
  }

  it('unpacks into an existing empty folder (as /opt/ml/model is) and verifies', async () => {
    const { path } = await packed();
    await mkdir(join(root, 'opt-ml-model'));
    const report = await unpackModel(path, join(root, 'opt-ml-model'));
    expect(report.manifest.name).toBe('tiny-aivad');
    expect((await readdir(join(root, 'opt-ml-model'))).sort()).toEqual(['config.yaml', 'density.safetensors', 'manifest.json', 'onnx']);
  });

  it('refuses a non-empty target unless asked to overwrite', async () => {
    const { path } = await packed();
    await mkdir(join(root, 't'));
    await writeFile(join(root, 't', 'old'), 'x');
    const e = await unpackModel(path, join(root, 't')).catch((err: unknown) => err);
    expect((e as VadError).code).toBe('bad_argument');
    await unpackModel(path, join(root, 't'), { overwrite: true });
    expect(existsSync(join(root, 't', 'old'))).toBe(false);
  });

  it('detects a tampered member (digest_mismatch) and leaves no model', async () => {
    const { path } = await packed();
    const tar = gunzipSync(await readFile(path));
    const at = tar.indexOf(Buffer.from('regions network bytes'));
    tar[at] = 'R'.charCodeAt(0);
    await writeFile(path, gzipSync(tar));
    const e = await unpackModel(path, join(root, 'm')).catch((err: unknown) => err);
    expect((e as VadError).code).toBe('digest_mismatch');
    expect((e as VadError).message).toMatch(/onnx\/regions\.onnx/);
    expect(existsSync(join(root, 'm'))).toBe(false);
  });

  it('reports a missing archive as file_not_found', async () => {
    const e = await unpackModel(join(root, 'none.tar.gz'), join(root, 'm')).catch((err: unknown) => err);
    expect((e as VadError).code).toBe('file_not_found');
  });
});
