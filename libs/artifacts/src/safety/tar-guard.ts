import { STAGE_FILES } from '@vad/contracts';
import { CONFIG_FILE, DENSITY_FILE, MANIFEST_FILE, VadError } from '@vad/core';
import type { UnpackLimits } from './limits';

/**
 * What an archive member may be before anything touches the disk: a plain file or folder with a
 * relative path inside the target, within size and count limits, and one the model holds. Before
 * manifest.json has been read only the model format's fixed names may come (pack sorts members,
 * so config.yaml and density.safetensors precede it); after it, only the files it lists. So an
 * archive of ten 1 GB blobs is refused at its first header, not after gigabytes were written.
 * Everything else (links, devices, FIFOs, `..`, absolute paths) is a VadError('unsafe_archive')
 * naming the member.
 */
export type { UnpackLimits } from './limits';

export interface ArchiveMember {
  readonly path: string;
  /** node-tar's entry type name (File, Directory, SymbolicLink, Link, CharacterDevice, …). */
  readonly type: string;
  readonly size: number;
  readonly linkpath?: string;
}

export type AcceptedMember = { readonly kind: 'file' | 'directory'; readonly path: string } | { readonly kind: 'root' };

/** The manifest and config are small text: a megabyte is far more than either needs. */
export const MAX_TEXT_MEMBER_BYTES = 1024 * 1024;
const KNOWN_FILES = new Set<string>([MANIFEST_FILE, CONFIG_FILE, DENSITY_FILE, ...Object.values(STAGE_FILES)]);

/** Per-archive state of the guard: counts, sizes, paths seen, and what the manifest lists. */
export class TarGuard {
  private entries = 0;
  private totalBytes = 0;
  private readonly seen = new Set<string>();
  private readonly files = new Set<string>();
  private listed: ReadonlySet<string> | undefined;
  /** `wording`: how refusals name a member and what is refused (a folder's check says "file … refusing to load"). */
  constructor(
    private readonly limits: UnpackLimits,
    private readonly wording = { member: 'archive member', refusing: 'refusing to unpack' },
  ) {}

  private refuse(member: string, why: string): never {
    throw new VadError('unsafe_archive', `${this.wording.member} ${JSON.stringify(member)} ${why}; ${this.wording.refusing}`, { entry: member });
  }

  /** The manifest's file list (from its `files` record): later members must be in it. */
  setListing(files: Iterable<string>): void {
    this.listed = new Set([MANIFEST_FILE, ...files]);
  }

  /** The member's normalised relative path, or a refusal. Call once per member, in archive order. */
  accept(m: ArchiveMember): AcceptedMember {
    this.entries += 1;
    if (this.entries > this.limits.maxEntries)
      this.refuse(m.path, `is member number ${this.entries}, more than the ${this.limits.maxEntries} allowed (VAD_UNPACK_MAX_MEMBERS)`);
    const path = normaliseMemberPath(m.path, (why) => this.refuse(m.path, why));
    const kind = memberKind(m, (why) => this.refuse(m.path, why));
    if (path === '') {
      if (kind === 'directory') return { kind: 'root' };
      this.refuse(m.path, 'has an empty path');
    }
    if (kind === 'file') {
      if (m.size > this.limits.maxEntryBytes)
        this.refuse(m.path, `is ${m.size} bytes, more than the ${this.limits.maxEntryBytes} allowed per file (VAD_UNPACK_MAX_MEMBER_MB)`);
      this.totalBytes += m.size;
      if (this.totalBytes > this.limits.maxTotalBytes)
        this.refuse(m.path, `brings the archive to ${this.totalBytes} bytes, more than the ${this.limits.maxTotalBytes} allowed (VAD_UNPACK_MAX_TOTAL_MB)`);
    }
    if (this.seen.has(path)) this.refuse(m.path, 'appears twice');
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      // A member under a path that was a file would make the extraction depend on member order.
      if (this.files.has(parts.slice(0, i).join('/'))) this.refuse(m.path, `lies under ${parts.slice(0, i).join('/')}, which is a file`);
    }
    if (kind === 'file') this.expected(m, path);
    if (kind === 'file') this.files.add(path);
    this.seen.add(path);
    return { kind, path };
  }

  private expected(m: ArchiveMember, path: string): void {
    if (this.listed ? !this.listed.has(path) : !KNOWN_FILES.has(path)) {
      this.refuse(
        m.path,
        this.listed ? 'is not listed in manifest.json' : 'is not a model file (manifest.json, config.yaml, density.safetensors, onnx/<stage>.onnx)',
      );
    }
    if ((path === MANIFEST_FILE || path === CONFIG_FILE) && m.size > MAX_TEXT_MEMBER_BYTES)
      this.refuse(m.path, `is ${m.size} bytes, more than the ${MAX_TEXT_MEMBER_BYTES} a ${path} needs`);
  }
}

function memberKind(m: ArchiveMember, refuse: (why: string) => never): 'file' | 'directory' {
  switch (m.type) {
    case 'File':
    case 'OldFile':
    case 'ContiguousFile':
      return 'file';
    case 'Directory':
      return 'directory';
    case 'SymbolicLink':
      return refuse(`is a symbolic link (to ${JSON.stringify(m.linkpath ?? '')})`);
    case 'Link':
      return refuse(`is a hard link (to ${JSON.stringify(m.linkpath ?? '')})`);
    case 'CharacterDevice':
    case 'BlockDevice':
      return refuse('is a device file');
    case 'FIFO':
      return refuse('is a FIFO');
    default:
      return refuse(`has type ${m.type}, not a plain file or folder`);
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
