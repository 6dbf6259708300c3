import { gunzipSync } from 'node:zlib';
import { Parser, type ReadEntry } from 'tar';
import { ImageBuildError } from './errors';

/**
 * Reading Debian packages without dpkg: a .deb is an `ar` archive holding `debian-binary`,
 * `control.tar.*` and `data.tar.*`; the tars are compressed with gzip, xz (Debian) or zstd
 * (Ubuntu since 21.10), or not at all. Node's zlib has neither xz nor zstd, so xz goes through
 * xz-decompress (xz-embedded compiled to WebAssembly) and zstd through fzstd (pure JS).
 */
export interface ArMember {
  readonly name: string;
  readonly data: Buffer;
}

const AR_MAGIC = '!<arch>\n';

/** The members of an `ar` archive (the common/GNU format dpkg writes: 60-byte headers, 2-byte alignment). */
export function parseAr(buf: Buffer, what = 'archive'): ArMember[] {
  if (buf.subarray(0, 8).toString('latin1') !== AR_MAGIC) throw new ImageBuildError(`${what} is not an ar archive`);
  const out: ArMember[] = [];
  let off = 8;
  while (off + 60 <= buf.length) {
    const h = buf.subarray(off, off + 60).toString('latin1');
    if (h.slice(58, 60) !== '`\n') throw new ImageBuildError(`${what}: bad ar member header at byte ${off}`);
    const size = Number(h.slice(48, 58).trim());
    const name = h.slice(0, 16).trim().replace(/\/$/, '');
    if (!Number.isSafeInteger(size) || off + 60 + size > buf.length) throw new ImageBuildError(`${what}: ar member ${name} runs past the end`);
    out.push({ name, data: buf.subarray(off + 60, off + 60 + size) });
    off += 60 + size + (size % 2);
  }
  return out;
}

// Loaded on first use: the deployer imports this library at start-up and most runs never unpack a .deb.
async function unxz(data: Buffer): Promise<Buffer> {
  const m = (await import('xz-decompress')) as typeof import('xz-decompress') & { default?: typeof import('xz-decompress') };
  // A webpack CommonJS bundle: native ESM import() sees it under `default`, require() directly.
  const XzReadableStream = m.XzReadableStream ?? m.default!.XzReadableStream;
  const stream = new XzReadableStream(new Blob([data]).stream() as ReadableStream<Uint8Array>);
  return Buffer.from(await new Response(stream).arrayBuffer());
}

/** Decompresses a `*.tar`, `*.tar.gz`, `*.tar.xz` or `*.tar.zst` member by its name. */
export async function decompressMember(m: ArMember, what = m.name): Promise<Buffer> {
  if (m.name.endsWith('.tar')) return m.data;
  if (m.name.endsWith('.gz')) return gunzipSync(m.data);
  if (m.name.endsWith('.xz')) return unxz(m.data);
  if (m.name.endsWith('.zst')) return Buffer.from((await import('fzstd')).decompress(m.data));
  throw new ImageBuildError(`${what}: unsupported compression of ${m.name}`);
}

export interface DebParts {
  /** control.tar, uncompressed. */
  readonly control: Buffer;
  /** data.tar, uncompressed. */
  readonly data: Buffer;
}

export async function readDeb(buf: Buffer, what: string): Promise<DebParts> {
  const members = parseAr(buf, what);
  if (members[0]?.name !== 'debian-binary' || !members[0].data.toString().startsWith('2.'))
    throw new ImageBuildError(`${what} is not a Debian binary package (no debian-binary 2.x first)`);
  const control = members.find((m) => m.name.startsWith('control.tar'));
  const data = members.find((m) => m.name.startsWith('data.tar'));
  if (!control || !data) throw new ImageBuildError(`${what} has no ${control ? 'data' : 'control'}.tar member`);
  return { control: await decompressMember(control, what), data: await decompressMember(data, what) };
}

export interface TarItem {
  /** Normalised: no leading `./` or `/`, no trailing `/`. */
  readonly path: string;
  readonly type: 'file' | 'dir' | 'symlink' | 'hardlink';
  readonly mode: number;
  /** symlink target as written; hardlink: the normalised path of the linked file. */
  readonly linkpath?: string;
  readonly data?: Buffer;
}

export const normalTarPath = (p: string): string => p.replace(/^(\.\/|\/)+/, '').replace(/\/+$/, '');

/** Every entry of an uncompressed tar (ustar, GNU and pax headers), file contents included, in archive order. */
export async function readTar(buf: Buffer, what: string): Promise<TarItem[]> {
  const items: TarItem[] = [];
  await new Promise<void>((resolve, reject) => {
    const parser = new Parser({
      strict: true,
      onReadEntry: (e: ReadEntry) => {
        const path = normalTarPath(e.path);
        const chunks: Buffer[] = [];
        e.on('data', (c: Buffer) => chunks.push(c));
        e.on('end', () => {
          if (!path) return;
          const mode = (e.mode ?? 0o644) & 0o7777;
          if (e.type === 'Directory') items.push({ path, type: 'dir', mode });
          else if (e.type === 'SymbolicLink') items.push({ path, type: 'symlink', mode, linkpath: e.linkpath ?? '' });
          else if (e.type === 'Link') items.push({ path, type: 'hardlink', mode, linkpath: normalTarPath(e.linkpath ?? '') });
          else if (e.type === 'File' || e.type === 'OldFile' || e.type === 'ContiguousFile')
            items.push({ path, type: 'file', mode, data: Buffer.concat(chunks) });
        });
      },
    });
    parser.on('error', (e: Error) => reject(new ImageBuildError(`${what}: ${e.message}`)));
    parser.on('end', () => resolve());
    parser.end(buf);
  });
  return items;
}

/** Debian control syntax (deb822): stanzas separated by blank lines, `Field: value`, continuation lines start with a space or tab. */
export function parseControl(text: string): Record<string, string>[] {
  const out: Record<string, string>[] = [];
  let cur: Record<string, string> = {};
  let last = '';
  for (const line of text.split('\n')) {
    if (line.trim() === '') {
      if (Object.keys(cur).length) out.push(cur);
      cur = {};
      last = '';
    } else if (line[0] === ' ' || line[0] === '\t') {
      if (last) cur[last] += `\n${line}`;
    } else if (!line.startsWith('#')) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      last = line.slice(0, colon);
      cur[last] = line.slice(colon + 1).trim();
    }
  }
  if (Object.keys(cur).length) out.push(cur);
  return out;
}
