import { createHash } from 'node:crypto';
import { createWriteStream, linkSync, lstatSync, mkdirSync, readdirSync, readlinkSync, copyFileSync, statSync, symlinkSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { create as createTar } from 'tar';

/** A gzip'd layer tarball on disk, with the two digests an image needs. */
export interface BuiltLayer {
  readonly id: string;
  readonly file: string;
  /** sha256 of the gzip stream: the blob's name in the registry and the manifest. */
  readonly digest: string;
  /** sha256 of the uncompressed tar: the image config's rootfs.diff_ids entry. */
  readonly diffId: string;
  readonly size: number;
  /** The image history's reason for it (default: the plan's `why` for this id). */
  readonly why?: string;
}

/** Every layer entry carries this mtime, so the same sources give the same digests on any day. */
export const LAYER_MTIME = new Date(0);
const GZIP_LEVEL = 6;

/**
 * Places `from` (a file, symlink or directory) at `to` inside `root`, hard-linking files where
 * the file system allows (no data copied) and copying otherwise. `skip` prunes sub-paths (relative
 * to `from`), e.g. other platforms' prebuilt binaries.
 */
export function stagePath(from: string, root: string, to: string, skip: (rel: string) => boolean = () => false, rel = ''): void {
  const dest = join(root, to);
  const st = lstatSync(from);
  mkdirSync(dirname(dest), { recursive: true });
  if (st.isSymbolicLink()) {
    symlinkSync(readlinkSync(from), dest);
  } else if (st.isDirectory()) {
    mkdirSync(dest, { recursive: true });
    for (const name of readdirSync(from).sort()) {
      const r = rel ? `${rel}/${name}` : name;
      if (!skip(r)) stagePath(join(from, name), root, join(to, name), skip, r);
    }
  } else if (st.isFile()) {
    try {
      linkSync(from, dest);
    } catch {
      copyFileSync(from, dest);
    }
  }
}

/** All paths below `root`, relative, in byte order (a directory before its contents). */
export function listSorted(root: string, rel = ''): string[] {
  const out: string[] = [];
  for (const name of readdirSync(join(root, rel)).sort()) {
    const r = rel ? `${rel}/${name}` : name;
    out.push(r);
    const st = lstatSync(join(root, r));
    if (st.isDirectory()) out.push(...listSorted(root, r));
  }
  return out;
}

/** A pass-through that hashes and counts what flows by. */
function hashing(): { stream: Transform; digest: () => string } {
  const h = createHash('sha256');
  return {
    stream: new Transform({
      transform(chunk: Buffer, _enc, cb) {
        h.update(chunk);
        cb(null, chunk);
      },
    }),
    digest: () => `sha256:${h.digest('hex')}`,
  };
}

/**
 * Tars the staged tree `root` (its paths are the image's paths) reproducibly: sorted entries,
 * fixed mtime, `portable` (no uid/gid/uname/atime/ctime: everything is root's), then gzip at a
 * fixed level (Node's zlib header has mtime 0 and a fixed OS byte). Writes `file`.
 */
export async function tarLayer(id: string, root: string, file: string): Promise<BuiltLayer> {
  const entries = listSorted(root);
  if (entries.length === 0) throw new Error(`layer ${id} is empty (${root})`);
  const tarStream = createTar({ cwd: root, portable: true, mtime: LAYER_MTIME, noDirRecurse: true }, entries);
  const raw = hashing();
  const packed = hashing();
  await pipeline(tarStream as unknown as NodeJS.ReadableStream, raw.stream, createGzip({ level: GZIP_LEVEL }), packed.stream, createWriteStream(file));
  return { id, file, digest: packed.digest(), diffId: raw.digest(), size: statSync(file).size };
}
