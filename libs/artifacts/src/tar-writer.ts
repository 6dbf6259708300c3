import { VadError } from '@vad/core';

/**
 * A minimal ustar header writer. pack.ts uses it because it controls every field (node-tar's
 * `portable` mode still takes file modes from the disk, so two checkouts could pack differently);
 * the unpack tests use it to build hostile archives (links, devices, `..`) that node-tar refuses
 * to create.
 */
export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'char-device' | 'block-device' | 'fifo';

const TYPEFLAG: Record<TarEntryType, string> = {
  file: '0',
  hardlink: '1',
  symlink: '2',
  'char-device': '3',
  'block-device': '4',
  directory: '5',
  fifo: '6',
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

function octal(buf: Buffer, offset: number, width: number, value: number): void {
  // width-1 zero-padded octal digits and a NUL, as GNU tar and Python's tarfile write them.
  const text = value.toString(8).padStart(width - 1, '0');
  if (text.length > width - 1) throw new VadError('bad_argument', `tar field value ${value} does not fit ${width - 1} octal digits`);
  buf.write(text + '\0', offset, width, 'ascii');
}

function splitPath(path: string): { name: string; prefix: string } {
  const bytes = Buffer.byteLength(path);
  if (bytes <= 100) return { name: path, prefix: '' };
  for (let i = path.indexOf('/'); i !== -1; i = path.indexOf('/', i + 1)) {
    const prefix = path.slice(0, i);
    const name = path.slice(i + 1);
    if (Buffer.byteLength(prefix) <= 155 && Buffer.byteLength(name) <= 100) return { name, prefix };
  }
  throw new VadError('bad_argument', `path ${path} is too long for a ustar archive (name 100 + prefix 155 bytes)`);
}

export function tarHeader(h: TarHeaderFields): Buffer {
  const buf = Buffer.alloc(TAR_BLOCK);
  const { name, prefix } = splitPath(h.path);
  buf.write(name, 0, 100, 'utf8');
  octal(buf, 100, 8, h.mode ?? (h.type === 'directory' ? 0o755 : 0o644));
  octal(buf, 108, 8, h.uid ?? 0);
  octal(buf, 116, 8, h.gid ?? 0);
  octal(buf, 124, 12, h.type === 'file' ? (h.size ?? 0) : 0);
  octal(buf, 136, 12, h.mtime ?? 0);
  buf.write(TYPEFLAG[h.type], 156, 1, 'ascii');
  if (h.linkname) buf.write(h.linkname, 157, 100, 'utf8');
  buf.write('ustar\0', 257, 6, 'ascii');
  buf.write('00', 263, 2, 'ascii');
  // uname/gname stay empty: owners are not part of a model.
  octal(buf, 329, 8, 0);
  octal(buf, 337, 8, 0);
  buf.write(prefix, 345, 155, 'utf8');
  buf.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of buf) sum += b;
  buf.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 8, 'ascii');
  return buf;
}

/** Zero bytes that fill the last block of an entry's data. */
export function tarPadding(size: number): Buffer {
  return Buffer.alloc((TAR_BLOCK - (size % TAR_BLOCK)) % TAR_BLOCK);
}

/** Two zero blocks end an archive. */
export function tarEnd(): Buffer {
  return Buffer.alloc(2 * TAR_BLOCK);
}
