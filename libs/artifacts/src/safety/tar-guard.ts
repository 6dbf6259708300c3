import { VadError } from '@vad/core';

/**
 * What an archive member may be before anything touches the disk: a plain file or folder with a
 * relative path inside the target, within size and count limits. Everything else (links, devices,
 * FIFOs, `..`, absolute paths, gzip bombs) is a VadError('unsafe_archive') naming the member.
 */
export interface UnpackLimits {
  /** Largest single member (default 4 GiB: a CLIP or Mask R-CNN network is well under 1 GiB). */
  readonly maxEntryBytes: number;
  /** Largest sum of member sizes, and so of decompressed data (default 8 GiB). */
  readonly maxTotalBytes: number;
  /** Most members (default 256; a model has fewer than 10). */
  readonly maxEntries: number;
}

export const DEFAULT_UNPACK_LIMITS: UnpackLimits = {
  maxEntryBytes: 4 * 1024 ** 3,
  maxTotalBytes: 8 * 1024 ** 3,
  maxEntries: 256,
};

export interface ArchiveMember {
  readonly path: string;
  /** node-tar's entry type name (File, Directory, SymbolicLink, Link, CharacterDevice, …). */
  readonly type: string;
  readonly size: number;
  readonly linkpath?: string;
}

export type AcceptedMember = { readonly kind: 'file' | 'directory'; readonly path: string } | { readonly kind: 'root' };

/** Per-archive state of the guard: counts, sizes, paths seen. */
export class TarGuard {
  private entries = 0;
  private totalBytes = 0;
  private readonly seen = new Set<string>();
  private readonly files = new Set<string>();
  constructor(private readonly limits: UnpackLimits = DEFAULT_UNPACK_LIMITS) {}

  private refuse(member: string, why: string): never {
    throw new VadError('unsafe_archive', `archive member ${JSON.stringify(member)} ${why}; refusing to unpack`, { entry: member });
  }

  /** The member's normalised relative path, or a refusal. Call once per member, in archive order. */
  accept(m: ArchiveMember): AcceptedMember {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries) this.refuse(m.path, `is member number ${this.entries}, more than the ${this.limits.maxEntries} allowed`);
    const path = normaliseMemberPath(m.path, (why) => this.refuse(m.path, why));
    let kind: 'file' | 'directory';
    switch (m.type) {
      case 'File':
      case 'OldFile':
      case 'ContiguousFile':
        kind = 'file';
        break;
      case 'Directory':
        kind = 'directory';
        break;
      case 'SymbolicLink':
        return this.refuse(m.path, `is a symbolic link (to ${JSON.stringify(m.linkpath ?? '')})`);
      case 'Link':
        return this.refuse(m.path, `is a hard link (to ${JSON.stringify(m.linkpath ?? '')})`);
      case 'CharacterDevice':
      case 'BlockDevice':
        return this.refuse(m.path, 'is a device file');
      case 'FIFO':
        return this.refuse(m.path, 'is a FIFO');
      default:
        return this.refuse(m.path, `has type ${m.type}, not a plain file or folder`);
    }
    if (path === '') {
      if (kind === 'directory') return { kind: 'root' };
      this.refuse(m.path, 'has an empty path');
    }
    if (kind === 'file') {
      if (m.size > this.limits.maxEntryBytes) this.refuse(m.path, `is ${m.size} bytes, more than the ${this.limits.maxEntryBytes} allowed per file`);
      this.totalBytes += m.size;
      if (this.totalBytes > this.limits.maxTotalBytes) this.refuse(m.path, `brings the archive to ${this.totalBytes} bytes, more than the ${this.limits.maxTotalBytes} allowed`);
    }
    if (this.seen.has(path)) this.refuse(m.path, 'appears twice');
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      // A member under a path that was a file would make the extraction depend on member order.
      if (this.files.has(parts.slice(0, i).join('/'))) this.refuse(m.path, `lies under ${parts.slice(0, i).join('/')}, which is a file`);
    }
    if (kind === 'file') this.files.add(path);
    this.seen.add(path);
    return { kind, path };
  }

  /** Decompressed bytes may exceed member sizes only by headers and padding. */
  maxStreamBytes(): number {
    return this.limits.maxTotalBytes + this.limits.maxEntries * 2048 + 1024 * 1024;
  }
}

export function normaliseMemberPath(raw: string, refuse: (why: string) => never): string {
  if (raw.includes('\0')) refuse('has a NUL in its path');
  if (raw.includes('\\')) refuse('has a backslash in its path');
  if (raw.startsWith('/') || /^[A-Za-z]:/.test(raw)) refuse('has an absolute path');
  const parts = raw.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) refuse('has a path with ..');
  return parts.join('/');
}
