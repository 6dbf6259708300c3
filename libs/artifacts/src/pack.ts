import { createHash, randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, constants as zlibConstants } from 'node:zlib';
import { MANIFEST_FILE, VadError, verifyModelDir } from '@vad/core';
import { tarEnd, tarHeader, tarPadding } from './tar-writer';

export interface PackProgress {
  /** Bytes of model files read so far. */
  readonly done: number;
  readonly total: number;
  readonly file: string;
}

export interface PackOptions {
  readonly onProgress?: (p: PackProgress) => void;
  /** gzip level (default 9: models are packed once and downloaded many times). */
  readonly level?: number;
}

export interface PackResult {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Files of the directory that are not part of the model and were left out. */
  readonly skipped: string[];
}

interface Member {
  readonly path: string;
  readonly type: 'file' | 'directory';
  readonly size: number;
}

/**
 * Packs a verified model directory into a deterministic model.tar.gz (model-format.md): only the
 * model's files (manifest.json + every file the manifest lists), sorted, mtime 0, owner 0:0 with
 * empty names, modes 0644/0755, a gzip header with mtime 0 and no file name. The same model always
 * packs to the same bytes. Streams: memory stays flat whatever the size of the networks.
 */
export async function packModelDir(dir: string, out: string, options: PackOptions = {}): Promise<PackResult> {
  const report = await verifyModelDir(dir);
  const files = [MANIFEST_FILE, ...Object.keys(report.manifest.files)];
  const dirs = new Set<string>();
  for (const f of files) {
    const parts = f.split('/');
    for (let i = 1; i < parts.length; i++) dirs.add(parts.slice(0, i).join('/') + '/');
  }
  const members: Member[] = [];
  for (const d of dirs) members.push({ path: d, type: 'directory', size: 0 });
  for (const f of files) members.push({ path: f, type: 'file', size: (await stat(join(dir, f))).size });
  members.sort((a, b) => Buffer.compare(Buffer.from(a.path), Buffer.from(b.path)));
  const listed = new Set(files);
  const skipped = report.warnings.filter((w) => w.startsWith('unknown file ')).map((w) => w.slice('unknown file '.length).replace(/ ignored$/, ''));
  for (const s of skipped) if (listed.has(s)) throw new VadError('internal', `pack: ${s} is both listed and unknown`);

  const total = members.reduce((n, m) => n + m.size, 0);
  async function* archive(): AsyncGenerator<Buffer> {
    let done = 0;
    for (const m of members) {
      yield tarHeader({ path: m.path, type: m.type, size: m.size, mtime: 0 });
      if (m.type !== 'file') continue;
      let read = 0;
      for await (const chunk of createReadStream(join(dir, m.path), { highWaterMark: 1 << 20 })) {
        const b = chunk as Buffer;
        read += b.length;
        if (read > m.size) break;
        done += b.length;
        options.onProgress?.({ done, total, file: m.path });
        yield b;
      }
      if (read !== m.size)
        throw new VadError('model_invalid', `${m.path} changed size while it was packed (${m.size} → ${read} bytes); pack again`, { file: m.path });
      yield tarPadding(m.size);
    }
    yield tarEnd();
  }

  const target = resolve(out);
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  const hash = createHash('sha256');
  let bytes = 0;
  const tap = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      hash.update(chunk);
      bytes += chunk.length;
      cb(null, chunk);
    },
  });
  try {
    // Node's gzip header carries mtime 0 and no file name, so it is reproducible as written.
    await pipeline(Readable.from(archive()), createGzip({ level: options.level ?? zlibConstants.Z_BEST_COMPRESSION }), tap, createWriteStream(tmp));
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  return { path: target, sha256: hash.digest('hex'), bytes, skipped };
}
