import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { Transform } from 'node:stream';
import { finished } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { VadError, verifyModelDir, type ModelDirReport } from '@vad/core';
import { DEFAULT_UNPACK_LIMITS, TarGuard, type UnpackLimits } from './safety/tar-guard';

export interface UnpackOptions {
  readonly limits?: Partial<UnpackLimits>;
  /** Replace a non-empty target directory (an empty one is always replaced). */
  readonly overwrite?: boolean;
}

async function isEmptyDir(path: string): Promise<boolean | undefined> {
  try {
    if (!(await stat(path)).isDirectory()) return false;
  } catch {
    return undefined;
  }
  return (await readdir(path)).length === 0;
}

/** Extracts members into `into` (which must exist and be empty); every member passes the guard first. */
export async function extractArchive(tarGz: string, into: string, limits: UnpackLimits): Promise<void> {
  const guard = new TarGuard(limits);
  const writes: Promise<void>[] = [];
  let failure: unknown;
  const parser = new Parser({ strict: true });
  // 1 MiB reads and inflate chunks: Node's 64 KiB / 16 KiB defaults cost ~20 % on a 1 GB model.
  const source = createReadStream(tarGz, { highWaterMark: 1 << 20 });
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  let streamed = 0;
  const counter = new Transform({
    transform(chunk: Buffer, _enc, cb) {
      streamed += chunk.length;
      if (streamed > guard.maxStreamBytes()) {
        cb(new VadError('unsafe_archive', `${tarGz} decompresses to more than ${guard.maxStreamBytes()} bytes (a gzip bomb?); refusing to unpack`, { entry: tarGz }));
        return;
      }
      cb(null, chunk);
    },
  });
  const fail = (e: unknown) => {
    failure ??= e;
    source.destroy();
  };

  parser.on('entry', (entry: ReadEntry) => {
    if (failure) return entry.resume();
    let accepted;
    try {
      accepted = guard.accept({ path: entry.path, type: entry.type, size: entry.size, linkpath: entry.linkpath });
    } catch (e) {
      fail(e);
      parser.abort(e as Error);
      return entry.resume();
    }
    if (accepted.kind === 'root') return entry.resume();
    const target = join(into, accepted.path);
    if (accepted.kind === 'directory') {
      writes.push(mkdir(target, { recursive: true }).then(() => undefined));
      return entry.resume();
    }
    entry.pause();
    writes.push(
      (async () => {
        await mkdir(dirname(target), { recursive: true });
        // 'wx': never follow or overwrite anything already there.
        const out = createWriteStream(target, { flags: 'wx', mode: 0o644 });
        entry.pipe(out);
        await finished(out);
      })().catch((e: unknown) => {
        entry.resume();
        fail(new VadError('unsafe_archive', `archive member ${JSON.stringify(entry.path)} cannot be written: ${(e as Error).message}`, { entry: entry.path }));
      }),
    );
  });

  await new Promise<void>((resolveDone) => {
    parser.on('error', (e: unknown) => {
      fail(e);
      resolveDone();
    });
    parser.on('end', () => resolveDone());
    parser.on('close', () => resolveDone());
    for (const s of [source, gunzip, counter]) {
      s.on('error', (e: Error) => {
        fail(e);
        resolveDone();
      });
    }
    source.pipe(gunzip).pipe(counter).pipe(parser as unknown as NodeJS.WritableStream);
  });
  await Promise.allSettled(writes);
  if (failure) {
    if (failure instanceof VadError) throw failure;
    const err = failure as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new VadError('file_not_found', `${tarGz} does not exist`, { file: tarGz });
    throw new VadError('unsafe_archive', `${tarGz} is not a readable tar.gz: ${err.message}`, { file: tarGz });
  }
}

/**
 * Unpacks a model.tar.gz into `dir` safely: members are checked before anything is written
 * (tar-guard.ts), extraction goes into a fresh folder beside `dir` and is verified
 * (verifyModelDir) before it is renamed into place, so nothing is ever written outside `dir` and
 * a bad archive leaves no partial model.
 */
export async function unpackModel(tarGz: string, dir: string, options: UnpackOptions = {}): Promise<ModelDirReport> {
  const limits = { ...DEFAULT_UNPACK_LIMITS, ...options.limits };
  const target = resolve(dir);
  try {
    if (!(await stat(tarGz)).isFile()) throw new Error('not a file');
  } catch {
    throw new VadError('file_not_found', `${tarGz} does not exist or is not a file`, { file: tarGz });
  }
  const empty = await isEmptyDir(target);
  if (empty === false && !options.overwrite) throw new VadError('bad_argument', `${target} exists and is not empty; remove it or pass overwrite`, { dir: target });

  await mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.unpack-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    await extractArchive(tarGz, tmp, limits);
    const report = await verifyModelDir(tmp);
    if (empty === true) await rmdir(target);
    else if (empty === false) await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
    return { ...report, dir: target };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
