import { createReadStream, createWriteStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, rename, rm, rmdir, stat, statfs, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { createGunzip } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { MANIFEST_FILE, VadError, verifyModelDir, type ModelDirReport } from '@vad/core';
import { unpackLimits, type UnpackLimits } from './safety/limits';
import { TarBounds } from './safety/tar-bounds';
import { MAX_TEXT_MEMBER_BYTES, TarGuard } from './safety/tar-guard';
import { forgetTempDir, makeTempDir, removeTempDir, sweepStale } from './safety/temp-dirs';

export interface UnpackOptions {
  /** Overrides of the caps (safety/limits.ts; the defaults come from VAD_UNPACK_* variables). */
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

/** Free bytes for an unprivileged writer on the file system holding `dir`. */
async function freeBytes(dir: string): Promise<number> {
  const s = await statfs(dir);
  return Number(s.bavail) * Number(s.bsize);
}

/** The manifest's `files` keys, when it parses; otherwise verifyModelDir reports the manifest later. */
function listingOf(manifest: Buffer): string[] | undefined {
  try {
    const files = (JSON.parse(manifest.toString('utf8')) as { files?: unknown }).files;
    return files && typeof files === 'object' && !Array.isArray(files) ? Object.keys(files) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Extracts members into `into` (which must exist and be empty); every member passes the guard
 * before its first byte is written, and the stream passes TarBounds (end-of-archive, trailing
 * data, inflation ratio) before the parser. On any failure every open write is destroyed, so the
 * call returns promptly whatever the input (a member cut short used to leave a write waiting).
 */
export async function extractArchive(tarGz: string, into: string, limits: UnpackLimits): Promise<void> {
  const guard = new TarGuard(limits);
  let free = (await freeBytes(into)) - limits.reserveBytes;
  const writes: Promise<void>[] = [];
  const outs = new Set<WriteStream>();
  let failure: unknown;
  const parser = new Parser({ strict: true });
  // 1 MiB reads and inflate chunks: Node's 64 KiB / 16 KiB defaults cost ~20 % on a 1 GB model.
  const source = createReadStream(tarGz, { highWaterMark: 1 << 20 });
  const gunzip = createGunzip({ chunkSize: 1 << 20 });
  const bounds = new TarBounds(tarGz, limits, () => source.bytesRead);
  const fail = (e: unknown) => {
    failure ??= e;
    source.destroy();
    gunzip.destroy();
    bounds.destroy();
    for (const out of outs) out.destroy();
  };

  parser.on('entry', (entry: ReadEntry) => {
    if (failure) return entry.resume();
    let accepted;
    try {
      accepted = guard.accept({ path: entry.path, type: entry.type, size: entry.size, linkpath: entry.linkpath });
      if (accepted.kind === 'file') {
        free -= entry.size;
        if (free < 0) {
          throw new VadError(
            'disk_full',
            `archive member ${JSON.stringify(entry.path)} (${entry.size} bytes) does not fit: ${dirname(into)} has too little free space (keeping VAD_UNPACK_RESERVE_MB=${limits.reserveBytes / 2 ** 20} free)`,
            { entry: entry.path },
          );
        }
      }
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
    if (accepted.path === MANIFEST_FILE) {
      // Read whole (the guard capped it at MAX_TEXT_MEMBER_BYTES): its list bounds the members after it.
      const chunks: Buffer[] = [];
      let n = 0;
      entry.on('data', (c: Buffer) => {
        n += c.length;
        if (n <= MAX_TEXT_MEMBER_BYTES) chunks.push(c);
      });
      writes.push(
        new Promise<Buffer>((res) =>
          entry.on('end', () => {
            // Synchronously: the parser emits the next member right after this 'end'.
            const body = Buffer.concat(chunks);
            const listing = listingOf(body);
            if (listing) guard.setListing(listing);
            res(body);
          }),
        ).then((body) => writeFile(target, body, { flag: 'wx', mode: 0o644 })),
      );
      return;
    }
    entry.pause();
    writes.push(
      (async () => {
        await mkdir(dirname(target), { recursive: true });
        // 'wx': never follow or overwrite anything already there.
        const out = createWriteStream(target, { flags: 'wx', mode: 0o644 });
        outs.add(out);
        if (failure) out.destroy();
        entry.pipe(out);
        await new Promise<void>((res, rej) => {
          out.on('close', () => (out.writableFinished ? res() : rej(new Error('write stopped'))));
          out.on('error', rej);
        });
        outs.delete(out);
      })().catch((e: unknown) => {
        entry.resume();
        fail(
          failure ??
            new VadError('unsafe_archive', `archive member ${JSON.stringify(entry.path)} cannot be written: ${(e as Error).message}`, { entry: entry.path }),
        );
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
    for (const s of [source, gunzip, bounds] as NodeJS.EventEmitter[]) {
      s.on('error', (e: Error) => {
        fail(e);
        resolveDone();
      });
      s.on('close', () => {
        if (failure) resolveDone();
      });
    }
    source
      .pipe(gunzip)
      .pipe(bounds)
      .pipe(parser as unknown as NodeJS.WritableStream);
  });
  await Promise.allSettled(writes);
  if (failure) {
    if (failure instanceof VadError) throw failure;
    const err = failure as NodeJS.ErrnoException;
    if (err.code === 'ENOENT') throw new VadError('file_not_found', `${tarGz} does not exist`, { file: tarGz });
    if (err.code === 'ENOSPC') throw new VadError('disk_full', `${tarGz}: no space left while unpacking into ${dirname(into)}`, { file: tarGz });
    throw new VadError('unsafe_archive', `${tarGz} is not a readable tar.gz: ${err.message}`, { file: tarGz });
  }
}

/** `.<name>.unpack-<pid>-<random>`: the staging folder beside the target. */
const stagingPrefix = (target: string) => `.${basename(target)}.unpack-`;

/**
 * Unpacks a model.tar.gz into `dir` safely: members are checked before anything is written
 * (tar-guard.ts, tar-bounds.ts), extraction goes into a staging folder beside `dir` and is verified
 * (verifyModelDir) before it is renamed into place, so nothing is ever written outside `dir` and
 * a bad archive leaves no partial model. The staging folder is removed on every failure, on
 * SIGINT/SIGTERM (safety/temp-dirs.ts), and — left by a killed run — at the next unpack.
 */
export async function unpackModel(tarGz: string, dir: string, options: UnpackOptions = {}): Promise<ModelDirReport> {
  const limits = unpackLimits(options.limits);
  const target = resolve(dir);
  try {
    if (!(await stat(tarGz)).isFile()) throw new Error('not a file');
  } catch {
    throw new VadError('file_not_found', `${tarGz} does not exist or is not a file`, { file: tarGz });
  }
  const empty = await isEmptyDir(target);
  if (empty === false && !options.overwrite)
    throw new VadError('bad_argument', `${target} exists and is not empty; remove it or pass overwrite`, { dir: target });

  await sweepStale(dirname(target), stagingPrefix(target));
  const tmp = await makeTempDir(dirname(target), stagingPrefix(target));
  try {
    await extractArchive(tarGz, tmp, limits);
    const report = await verifyModelDir(tmp);
    if (empty === true) await rmdir(target);
    else if (empty === false) await rm(target, { recursive: true, force: true });
    await rename(tmp, target);
    forgetTempDir(tmp);
    return { ...report, dir: target };
  } catch (e) {
    await removeTempDir(tmp);
    throw e;
  }
}
