import { Transform, type TransformCallback } from 'node:stream';
import { VadError } from '@vad/core';
import type { UnpackLimits } from './limits';

/**
 * Sits between gunzip and the tar parser and bounds what inflating can cost, whatever the input:
 * it follows the tar's block structure itself (headers, bodies, pax size records), passes bytes
 * only up to the end-of-archive marker (two zero blocks), and refuses — instead of inflating —
 * anything after it beyond a record's zero padding (a tar followed by gigabytes of compressed
 * zeros). It also refuses an inflation ratio past `maxRatio` once `ratioAfterBytes` were inflated,
 * and more inflated bytes than the member caps allow. node-tar alone keeps buffering data after
 * the end marker, which is what ran out of memory.
 */
const BLOCK = 512;
/** GNU tar pads an archive to a 10 KiB record; anything past that after the end marker is not tar. */
const MAX_TRAILING_ZEROS = 20 * 1024;
const MAX_META_BYTES = 1024 * 1024;

function parseSize(h: Buffer): number {
  const field = h.subarray(124, 136);
  if (field[0]! & 0x80) {
    // base-256 (GNU): big-endian, only the positive form is a size.
    if (field[0] !== 0x80) return Number.POSITIVE_INFINITY;
    let v = 0;
    for (let i = 1; i < field.length; i++) v = v * 256 + field[i]!;
    return v;
  }
  const text = field
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .replace(/^[ ]+/, '');
  if (!/^[0-7]*$/.test(text)) return Number.NaN;
  return text === '' ? 0 : parseInt(text, 8);
}

function paxSize(body: Buffer): number | undefined {
  const m = /(?:^|\n)\d+ size=(\d+)\n/.exec(body.toString('latin1'));
  return m ? Number(m[1]) : undefined;
}

export class TarBounds extends Transform {
  private inflated = 0;
  private pending = Buffer.alloc(0);
  /** Body bytes (with padding) left in the current member. */
  private bodyLeft = 0;
  private metaBody: Buffer[] | undefined;
  private metaLeft = 0;
  private nextSize: number | undefined;
  private zeroBlocks = 0;
  private ended = false;
  private trailing = 0;
  private readonly maxInflated: number;

  constructor(
    private readonly file: string,
    private readonly limits: UnpackLimits,
    private readonly compressedSoFar: () => number,
  ) {
    super();
    this.maxInflated = limits.maxTotalBytes + limits.maxEntries * 3 * BLOCK + MAX_META_BYTES * 2 + MAX_TRAILING_ZEROS;
  }

  private refuse(why: string): VadError {
    return new VadError('unsafe_archive', `${this.file} ${why}; refusing to unpack`, { file: this.file });
  }

  override _transform(chunk: Buffer, _enc: BufferEncoding, cb: TransformCallback): void {
    try {
      this.inflated += chunk.length;
      if (this.inflated > this.maxInflated)
        throw this.refuse(`decompresses to more than ${this.maxInflated} bytes (a gzip bomb? VAD_UNPACK_MAX_TOTAL_MB raises the cap)`);
      const compressed = Math.max(1, this.compressedSoFar());
      if (this.inflated > this.limits.ratioAfterBytes && this.inflated / compressed > this.limits.maxRatio) {
        throw this.refuse(
          `inflates more than ${this.limits.maxRatio}:1 (${this.inflated} bytes from ${compressed}; a gzip bomb? VAD_UNPACK_MAX_RATIO raises the cap)`,
        );
      }
      if (this.ended) return cb(null, this.trail(chunk));
      cb(null, this.walk(chunk));
    } catch (e) {
      cb(e as Error);
    }
  }

  override _flush(cb: TransformCallback): void {
    if (!this.ended) {
      // A truncated archive: the parser is told (it reports the truncation); nothing is waited for.
      cb(this.refuse(this.bodyLeft > 0 || this.pending.length > 0 ? 'is truncated (a member is cut short)' : 'has no end-of-archive marker (truncated?)'));
      return;
    }
    cb();
  }

  /** Bytes after the end marker: zero padding up to a record is fine, anything else is refused. */
  private trail(chunk: Buffer): Buffer | null {
    this.trailing += chunk.length;
    if (this.trailing > MAX_TRAILING_ZEROS || chunk.some((b) => b !== 0)) throw this.refuse('has data after the tar end-of-archive marker');
    return null;
  }

  /** Follows the tar structure through `chunk`; returns the part before (and including) the end marker. */
  private walk(chunk: Buffer): Buffer {
    let at = 0;
    while (at < chunk.length && !this.ended) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - at);
        if (this.metaBody) {
          const take = Math.min(n, this.metaLeft);
          if (take > 0) this.metaBody.push(chunk.subarray(at, at + take));
          this.metaLeft -= take;
        }
        this.bodyLeft -= n;
        at += n;
        if (this.bodyLeft === 0 && this.metaBody) {
          this.nextSize = paxSize(Buffer.concat(this.metaBody));
          this.metaBody = undefined;
        }
        continue;
      }
      const need = BLOCK - this.pending.length;
      const part = chunk.subarray(at, at + need);
      at += part.length;
      this.pending = this.pending.length ? Buffer.concat([this.pending, part]) : Buffer.from(part);
      if (this.pending.length < BLOCK) break;
      const header = this.pending;
      this.pending = Buffer.alloc(0);
      this.header(header);
    }
    const passed = chunk.subarray(0, at);
    if (this.ended && at < chunk.length) this.trail(chunk.subarray(at));
    return passed;
  }

  private header(h: Buffer): void {
    if (h.every((b) => b === 0)) {
      this.zeroBlocks += 1;
      if (this.zeroBlocks >= 2) this.ended = true;
      return;
    }
    this.zeroBlocks = 0;
    const type = String.fromCharCode(h[156]!);
    let size = parseSize(h);
    if (!Number.isFinite(size)) throw this.refuse('has a member header with an unreadable size');
    if ((type === 'x' || type === 'g' || type === 'L' || type === 'K') && size > MAX_META_BYTES) throw this.refuse(`has a ${size}-byte extended header`);
    if (type === 'x' || type === 'g') {
      this.metaBody = [];
      this.metaLeft = size;
    } else if (type !== 'L' && type !== 'K') {
      if (this.nextSize !== undefined) size = this.nextSize;
      this.nextSize = undefined;
      // Links, devices, FIFOs and folders carry no body; node-tar would skip one that claims a size.
      // (Sizes against the caps are the guard's job: it sees each header before its body.)
      if ('123456'.includes(type) && size > 0) throw this.refuse(`has a type-${type} member that claims ${size} bytes of data`);
    }
    this.bodyLeft = Math.ceil(size / BLOCK) * BLOCK;
  }
}
