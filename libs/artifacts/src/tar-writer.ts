import { Header, type HeaderData } from 'tar';
import { VadError } from '@vad/core';

/**
 * ustar blocks from node-tar's Header encoder. pack.ts streams its members through these instead
 * of `tar.c` because it must control every field: `tar.c({ portable: true })` still takes modes
 * from the disk, so two checkouts could pack the same model to different bytes. The unpack tests
 * use the same encoder to build hostile archives (links, devices, `..`).
 */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo';

const NODE_TAR_TYPE: Record<TarEntryType, NonNullable<HeaderData['type']>> = {
  file: 'File',
  directory: 'Directory',
  symlink: 'SymbolicLink',
  hardlink: 'Link',
  'char-device': 'CharacterDevice',
  'block-device': 'BlockDevice',
  fifo: 'FIFO',
};

export interface TarHeaderFields {
  readonly path: string;
  readonly type: TarEntryType;
  readonly size?: number;
  readonly mode?: number;
  /** Seconds since the epoch; 0 keeps archives reproducible. */
  readonly mtime?: number;
  readonly linkname?: string;
  readonly uid?: number;
  readonly gid?: number;
}

export const TAR_BLOCK = 512;

export function tarHeader(h: TarHeaderFields): Buffer {
  const header = new Header({
    path: h.path,
    type: NODE_TAR_TYPE[h.type],
    mode: h.mode ?? (h.type === 'directory' ? 0o755 : 0o644),
    uid: h.uid ?? 0,
    gid: h.gid ?? 0,
    size: h.type === 'file' ? (h.size ?? 0) : 0,
    mtime: new Date((h.mtime ?? 0) * 1000),
    // Owners are not part of a model: empty names, so the archive is the same on every machine.
    uname: '',
    gname: '',
    ...(h.linkname ? { linkpath: h.linkname } : {}),
    ...(h.type === 'char-device' || h.type === 'block-device' ? { devmaj: 1, devmin: 3 } : {}),
  });
  // encode() returns true when the entry needs a PAX extended header (long path or huge size);
  // model paths are short, so refusing keeps the archive plain ustar that every tar reads.
  if (header.encode() || !header.block)
    throw new VadError('bad_argument', `tar entry ${h.path} does not fit a plain ustar header (path over 255 bytes or size over 8 GiB)`);
  return header.block;
}

/** Zero bytes that fill the last block of an entry's data. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/** Two zero blocks end an archive. */
export function tarEnd(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK);
}
