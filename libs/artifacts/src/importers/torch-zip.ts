import { VadError } from '@vad/core';
import { inflateBounded } from './bounded-inflate';
import { isPyArray, type PyArray } from './py-array';
import { storageFrom, storageTypeOf, torchGlobals, type TorchStorage } from './torch-tensors';
import { ByteReader, unpickle, type PickleGlobal } from './unpickler';
import { commonGlobals } from './numpy-globals';

/**
 * torch.save files (the zip format of torch ≥ 1.6): `<prefix>/data.pkl` is a pickle whose tensors
 * point, through persistent ids, at raw little-endian storages `<prefix>/data/<key>`. Views share a
 * storage, so storages are decoded once per key and tensors gathered from them with their own
 * offset and strides.
 */

export interface ZipEntry {
  readonly name: string;
  readonly method: number;
  readonly compressedSize: number;
  readonly size: number;
  readonly localHeaderOffset: number;
}

/** Central directory of a zip (no Zip64: files over 4 GB are refused). */
export function readZipDirectory(zip: Uint8Array, source: string): Map<string, ZipEntry> {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  let eocd = -1;
  for (let i = zip.byteLength - 22; i >= Math.max(0, zip.byteLength - 22 - 65535); i--) {
    if (view.getUint32(i, true) === 0x06054b50) {
      eocd = i;
      break;
    }
  }
  if (eocd < 0)
    throw new VadError('unsupported_format', `${source} is not a zip archive (torch.save of torch < 1.6 used another format: re-save it with a newer torch)`);
  const count = view.getUint16(eocd + 10, true);
  let at = view.getUint32(eocd + 16, true);
  if (at === 0xffffffff || count === 0xffff) throw new VadError('unsupported_format', `${source} is a Zip64 archive, which is not supported`);
  const entries = new Map<string, ZipEntry>();
  for (let i = 0; i < count; i++) {
    if (at + 46 > zip.byteLength || view.getUint32(at, true) !== 0x02014b50)
      throw new VadError('unsupported_format', `${source}: damaged zip central directory`);
    const nameLength = view.getUint16(at + 28, true);
    const entry: ZipEntry = {
      name: Buffer.from(zip.subarray(at + 46, at + 46 + nameLength)).toString('utf8'),
      method: view.getUint16(at + 10, true),
      compressedSize: view.getUint32(at + 20, true),
      size: view.getUint32(at + 24, true),
      localHeaderOffset: view.getUint32(at + 42, true),
    };
    if (entry.size === 0xffffffff || entry.localHeaderOffset === 0xffffffff)
      throw new VadError('unsupported_format', `${source}: Zip64 member ${entry.name} is not supported`);
    entries.set(entry.name, entry);
    at += 46 + nameLength + view.getUint16(at + 30, true) + view.getUint16(at + 32, true);
  }
  return entries;
}

export function readZipEntry(zip: Uint8Array, e: ZipEntry, source: string): Uint8Array {
  const view = new DataView(zip.buffer, zip.byteOffset, zip.byteLength);
  const at = e.localHeaderOffset;
  if (at + 30 > zip.byteLength || view.getUint32(at, true) !== 0x04034b50) throw new VadError('unsupported_format', `${source}: damaged zip member ${e.name}`);
  const start = at + 30 + view.getUint16(at + 26, true) + view.getUint16(at + 28, true);
  const raw = zip.subarray(start, start + e.compressedSize);
  if (raw.byteLength !== e.compressedSize) throw new VadError('unsupported_format', `${source}: truncated zip member ${e.name}`);
  if (e.method === 0) return raw;
  if (e.method === 8) return inflateBounded('raw', raw, `${source} (${e.name})`, e.size);
  throw new VadError('unsupported_format', `${source}: zip member ${e.name} uses compression method ${e.method}`);
}

/**
 * Reads a torch.save zip: the unpickled object, tensors as PyArray (C order, fp16/bf16 → float32).
 * `extraGlobals` and `fallback` let a caller allow more stand-ins (a Lightning checkpoint's inert objects).
 */
export function readTorchZip(
  zip: Uint8Array,
  source: string,
  extraGlobals?: Iterable<[string, PickleGlobal]>,
  fallback?: (key: string) => PickleGlobal | undefined,
): unknown {
  const entries = readZipDirectory(zip, source);
  const pkl = [...entries.keys()].find((n) => n.endsWith('data.pkl') && n.split('/').length === 2);
  if (!pkl) throw new VadError('unsupported_format', `${source} is a zip but has no <name>/data.pkl: not a torch.save file`);
  const prefix = pkl.slice(0, -'data.pkl'.length);
  // Views share a storage: decode each once, by key.
  const storages = new Map<string, TorchStorage>();
  const globals = new Map<string, PickleGlobal>([...commonGlobals(), ...torchGlobals(source), ...(extraGlobals ?? [])]);
  const persistentLoad = (pid: unknown): TorchStorage => {
    if (!Array.isArray(pid) || pid[0] !== 'storage' || pid.length < 5)
      throw new VadError('unsupported_format', `${source}: unexpected persistent id ${JSON.stringify(pid)}`);
    const type = storageTypeOf(pid[1], source);
    const key = String(pid[2]);
    let s = storages.get(key);
    if (!s) {
      const entry = entries.get(`${prefix}data/${key}`);
      if (!entry) throw new VadError('unsupported_format', `${source}: storage ${key} is missing from the archive`);
      s = storageFrom(type, readZipEntry(zip, entry, source));
      storages.set(key, s);
    }
    return s;
  };
  return unpickle(new ByteReader(readZipEntry(zip, entries.get(pkl)!, source), source), { globals, persistentLoad, source, ...(fallback ? { fallback } : {}) });
}

/** Tensors of a state dict, by name (nested dicts such as {state_dict: …} are looked into). */
export function tensorsOf(obj: unknown, prefix = ''): Map<string, PyArray> {
  const out = new Map<string, PyArray>();
  if (isPyArray(obj)) out.set(prefix, obj);
  else if (obj instanceof Map) {
    for (const [k, v] of obj) for (const [n, t] of tensorsOf(v, prefix ? `${prefix}.${String(k)}` : String(k))) out.set(n, t);
  }
  return out;
}
