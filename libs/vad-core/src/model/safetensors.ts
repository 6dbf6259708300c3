import { readFile, writeFile } from 'node:fs/promises';
import { endianness } from 'node:os';
import { VadError } from '../errors';
import { shapeSize, tensor, type DType, type Tensor } from '../tensor';

/**
 * safetensors, read and written by hand (no npm package fits: see toolchain-notes §6).
 *
 * Layout: u64 LE header length N, N bytes of UTF-8 JSON
 * `{"__metadata__"?: {string: string}, name: {dtype, shape, data_offsets: [begin, end]}}` padded with
 * spaces to a multiple of 8, then the tensors' raw little-endian C-order bytes, offsets relative to
 * the end of the header.
 *
 * The writer reproduces huggingface/safetensors `tensor::prepare` byte for byte: tensors sorted by
 * dtype rank DESCENDING (the Rust `Dtype` enum order BOOL < U8 < I8 < I16 < F16 < BF16 < I32 < F32 <
 * F64 < I64, i.e. roughly by alignment), then by name (byte order); compact JSON (serde_json), the
 * `__metadata__` entry first and only when metadata was given, fields in the order dtype, shape,
 * data_offsets. One unavoidable difference: Rust keeps `__metadata__` in a HashMap, so with two or
 * more keys its key order is arbitrary; we sort the keys, which any reader accepts.
 * The reader accepts tensors in any order as long as they tile the data section exactly.
 */
export type SafetensorsDType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

const ITEM_SIZE: Record<SafetensorsDType, number> = {
  F64: 8,
  F32: 4,
  F16: 2,
  BF16: 2,
  I64: 8,
  I32: 4,
  I16: 2,
  I8: 1,
  U8: 1,
  BOOL: 1,
};

/** Position in the Rust `Dtype` enum (safetensors/src/tensor.rs); the writer sorts by it, descending. */
const RUST_DTYPE_RANK: Record<SafetensorsDType, number> = {
  BOOL: 0,
  U8: 1,
  I8: 2,
  I16: 5,
  F16: 7,
  BF16: 8,
  I32: 9,
  F32: 11,
  F64: 12,
  I64: 13,
};

/** The header is refused above this size, like the reference implementation (MAX_HEADER_SIZE). */
export const SAFETENSORS_MAX_HEADER_BYTES = 100_000_000;

/** One tensor as stored: dtype, shape and its raw little-endian bytes. */
export interface SafetensorsEntry {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export interface SafetensorsFile {
  /** In file (offset) order. */
  readonly tensors: Map<string, SafetensorsEntry>;
  readonly metadata?: Record<string, string>;
}

export function isSafetensorsDType(s: unknown): s is SafetensorsDType {
  return typeof s === 'string' && Object.prototype.hasOwnProperty.call(ITEM_SIZE, s);
}

export function itemSize(dtype: SafetensorsDType): number {
  return ITEM_SIZE[dtype];
}

function assertLittleEndianHost(): void {
  // Typed-array views use the host byte order; safetensors is little-endian by definition.
  if (endianness() !== 'LE') throw new VadError('internal', 'safetensors I/O needs a little-endian host');
}

function invalid(source: string, why: string): VadError {
  return new VadError('model_invalid', `${source} is not a valid safetensors file: ${why}`, { file: source });
}

/** Parses a whole safetensors file. Every inconsistency is a VadError('model_invalid') naming `source`. */
export function parseSafetensors(bytes: Uint8Array, source = 'safetensors'): SafetensorsFile {
  if (bytes.byteLength < 8) throw invalid(source, `only ${bytes.byteLength} bytes, less than the 8-byte header length`);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const n = view.getBigUint64(0, true);
  if (n > BigInt(SAFETENSORS_MAX_HEADER_BYTES)) throw invalid(source, `header length ${n} exceeds ${SAFETENSORS_MAX_HEADER_BYTES} bytes`);
  const headerLength = Number(n);
  if (8 + headerLength > bytes.byteLength) throw invalid(source, `header length ${headerLength} runs past the end of the file`);
  let header: unknown;
  try {
    header = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(bytes.subarray(8, 8 + headerLength)));
  } catch (e) {
    throw invalid(source, `header is not UTF-8 JSON (${(e as Error).message})`);
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) throw invalid(source, 'header is not a JSON object');

  let metadata: Record<string, string> | undefined;
  const infos: { name: string; dtype: SafetensorsDType; shape: number[]; begin: number; end: number }[] = [];
  for (const [name, value] of Object.entries(header as Record<string, unknown>)) {
    if (name === '__metadata__') {
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw invalid(source, '__metadata__ is not an object');
      for (const [k, v] of Object.entries(value)) {
        if (typeof v !== 'string') throw invalid(source, `__metadata__.${k} is not a string`);
      }
      metadata = { ...(value as Record<string, string>) };
      continue;
    }
    const info = value as { dtype?: unknown; shape?: unknown; data_offsets?: unknown } | null;
    if (typeof info !== 'object' || info === null) throw invalid(source, `entry ${name} is not an object`);
    if (!isSafetensorsDType(info.dtype)) throw invalid(source, `tensor ${name} has unsupported dtype ${JSON.stringify(info.dtype)}`);
    const shape = info.shape;
    if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
      throw invalid(source, `tensor ${name} has an invalid shape ${JSON.stringify(shape)}`);
    }
    const offsets = info.data_offsets;
    if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)) {
      throw invalid(source, `tensor ${name} has invalid data_offsets ${JSON.stringify(offsets)}`);
    }
    const [begin, end] = offsets as [number, number];
    if (end < begin) throw invalid(source, `tensor ${name} ends (${end}) before it begins (${begin})`);
    const expected = shapeSize(shape) * ITEM_SIZE[info.dtype];
    if (!Number.isSafeInteger(expected) || end - begin !== expected) {
      throw invalid(source, `tensor ${name}: shape [${shape.join(', ')}] × ${info.dtype} needs ${expected} bytes, offsets give ${end - begin}`);
    }
    infos.push({ name, dtype: info.dtype, shape: shape as number[], begin, end });
  }

  // Any order is valid, but the tensors must tile the data section: contiguous, no gap, no overlap.
  infos.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const dataStart = 8 + headerLength;
  const dataLength = bytes.byteLength - dataStart;
  let cursor = 0;
  for (const t of infos) {
    if (t.begin !== cursor) {
      throw invalid(
        source,
        t.begin < cursor ? `tensor ${t.name} overlaps the previous tensor` : `gap before tensor ${t.name} (at ${cursor}, it begins at ${t.begin})`,
      );
    }
    cursor = t.end;
  }
  if (cursor !== dataLength) throw invalid(source, `tensors cover ${cursor} bytes but the data section holds ${dataLength}`);

  const tensors = new Map<string, SafetensorsEntry>();
  for (const t of infos) {
    // A plain Uint8Array view even when `bytes` is a Buffer, whose slice() would not copy.
    const view = new Uint8Array(bytes.buffer, bytes.byteOffset + dataStart + t.begin, t.end - t.begin);
    tensors.set(t.name, { dtype: t.dtype, shape: t.shape, bytes: view });
  }
  return metadata === undefined ? { tensors } : { tensors, metadata };
}

function compareBytes(a: string, b: string): number {
  // Rust compares str by UTF-8 bytes; for the BMP-only names used here this equals code-unit order,
  // but compare real bytes so astral characters sort the same way too.
  return Buffer.compare(Buffer.from(a, 'utf8'), Buffer.from(b, 'utf8'));
}

/** Serialises tensors exactly as Python's `safetensors.numpy.save_file(tensors, metadata)` lays them out. */
export function serializeSafetensors(
  tensors: Iterable<[string, SafetensorsEntry]> | Record<string, SafetensorsEntry>,
  metadata?: Record<string, string>,
): Uint8Array {
  const list = Symbol.iterator in tensors ? [...(tensors as Iterable<[string, SafetensorsEntry]>)] : Object.entries(tensors);
  const names = new Set<string>();
  for (const [name, t] of list) {
    if (name === '__metadata__') throw new VadError('bad_argument', 'a tensor cannot be named __metadata__');
    if (names.has(name)) throw new VadError('bad_argument', `tensor ${name} given twice`);
    names.add(name);
    if (!isSafetensorsDType(t.dtype)) throw new VadError('bad_argument', `tensor ${name}: unsupported dtype ${String(t.dtype)}`);
    const expected = shapeSize(t.shape) * ITEM_SIZE[t.dtype];
    if (t.bytes.byteLength !== expected) {
      throw new VadError('bad_argument', `tensor ${name}: shape [${t.shape.join(', ')}] × ${t.dtype} needs ${expected} bytes, got ${t.bytes.byteLength}`);
    }
  }
  list.sort(([an, a], [bn, b]) => RUST_DTYPE_RANK[b.dtype] - RUST_DTYPE_RANK[a.dtype] || compareBytes(an, bn));

  const header: Record<string, unknown> = {};
  if (metadata !== undefined) {
    const sorted: Record<string, string> = {};
    for (const k of Object.keys(metadata).sort(compareBytes)) {
      const v = metadata[k];
      if (typeof v !== 'string') throw new VadError('bad_argument', `metadata ${k} must be a string`);
      sorted[k] = v;
    }
    header['__metadata__'] = sorted;
  }
  let offset = 0;
  for (const [name, t] of list) {
    header[name] = { dtype: t.dtype, shape: [...t.shape], data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = json.byteLength + ((8 - (json.byteLength % 8)) % 8);
  const out = new Uint8Array(8 + padded + offset);
  new DataView(out.buffer).setBigUint64(0, BigInt(padded), true);
  out.set(json, 8);
  out.fill(0x20, 8 + json.byteLength, 8 + padded);
  let at = 8 + padded;
  for (const [, t] of list) {
    out.set(t.bytes, at);
    at += t.bytes.byteLength;
  }
  return out;
}

export async function readSafetensorsFile(path: string): Promise<SafetensorsFile> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new VadError('file_not_found', `cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
  return parseSafetensors(bytes, path);
}

export async function writeSafetensorsFile(
  path: string,
  tensors: Iterable<[string, SafetensorsEntry]> | Record<string, SafetensorsEntry>,
  metadata?: Record<string, string>,
): Promise<void> {
  await writeFile(path, serializeSafetensors(tensors, metadata));
}

// ---------------------------------------------------------------------------------------------
// Conversions between stored entries and vad-core tensors.

const TO_STORED: Record<DType, SafetensorsDType> = { float32: 'F32', float64: 'F64', int32: 'I32', int64: 'I64', uint8: 'U8' };

/** A vad-core tensor as a safetensors entry (the bytes are a view, not a copy). */
export function entryFromTensor<D extends DType>(t: Tensor<D>): SafetensorsEntry {
  assertLittleEndianHost();
  const data = t.data;
  return { dtype: TO_STORED[t.dtype], shape: [...t.shape], bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) };
}

function copyAligned(bytes: Uint8Array): ArrayBuffer {
  // A copy, so the typed array is aligned whatever the offset of the file buffer
  // (new Uint8Array(x) copies; Buffer#slice would not).
  return new Uint8Array(bytes).buffer;
}

/** An IEEE 754 half-precision bit pattern as a number (fp16 tensors in safetensors, torch and numpy files). */
export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * frac * 2 ** -24;
  if (exp === 0x1f) return frac ? NaN : sign * Infinity;
  return sign * (1 + frac / 1024) * 2 ** (exp - 15);
}

/** Any floating entry (F32, F64, F16, BF16) as float32 values. */
export function entryToFloat32(entry: SafetensorsEntry, name = 'tensor'): Float32Array {
  assertLittleEndianHost();
  const buf = copyAligned(entry.bytes);
  switch (entry.dtype) {
    case 'F32':
      return new Float32Array(buf);
    case 'F64':
      return Float32Array.from(new Float64Array(buf));
    case 'F16': {
      const h = new Uint16Array(buf);
      const out = new Float32Array(h.length);
      for (let i = 0; i < h.length; i++) out[i] = halfToFloat(h[i]!);
      return out;
    }
    case 'BF16': {
      // bfloat16 is the high half of a float32.
      const h = new Uint16Array(buf);
      const u = new Uint32Array(h.length);
      for (let i = 0; i < h.length; i++) u[i] = h[i]! << 16;
      return new Float32Array(u.buffer);
    }
    default:
      throw new VadError('model_invalid', `${name} is ${entry.dtype}, expected a floating dtype`);
  }
}

/** An I32 entry's values (a copy). */
export function entryToInt32(entry: SafetensorsEntry, name = 'tensor'): Int32Array {
  assertLittleEndianHost();
  if (entry.dtype !== 'I32') throw new VadError('model_invalid', `${name} is ${entry.dtype}, expected I32`);
  return new Int32Array(copyAligned(entry.bytes));
}

/** An entry as a vad-core tensor: F16/BF16 widen to float32, integer types keep their width. */
export function entryToTensor(entry: SafetensorsEntry, name = 'tensor'): Tensor<DType> {
  assertLittleEndianHost();
  const buf = copyAligned(entry.bytes);
  switch (entry.dtype) {
    case 'F32':
    case 'F16':
    case 'BF16':
      return tensor('float32', entryToFloat32(entry, name), entry.shape);
    case 'F64':
      return tensor('float64', new Float64Array(buf), entry.shape);
    case 'I32':
      return tensor('int32', new Int32Array(buf), entry.shape);
    case 'I64':
      return tensor('int64', new BigInt64Array(buf), entry.shape);
    case 'U8':
    case 'BOOL':
      return tensor('uint8', new Uint8Array(buf), entry.shape);
    case 'I16':
      return tensor('int32', Int32Array.from(new Int16Array(buf)), entry.shape);
    case 'I8':
      return tensor('int32', Int32Array.from(new Int8Array(buf)), entry.shape);
  }
}
