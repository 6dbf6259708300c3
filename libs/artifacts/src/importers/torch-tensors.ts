import { VadError } from '@vad/core';
import { commonGlobals } from './numpy-globals';
import { decodeStored, stridedGather, pyArray, STORED_ITEMSIZE, type PyArrayData, type PyArrayDType, type StoredType } from './py-array';
import { ByteReader, isGlobal, unpickle, type PickleGlobal } from './unpickler';

/**
 * What torch tensors need from a pickle, shared by torch.save zips and by joblib/pickle files that
 * hold tensors: the storage marker classes, `_rebuild_tensor_v2` (a strided view of a storage) and
 * `torch.storage._load_from_bytes`, which is how a storage pickles outside torch.save — as the bytes
 * of a legacy (pre-zip) torch.save of that storage.
 */

export const TORCH_STORAGES: Record<string, StoredType> = {
  FloatStorage: 'f4',
  DoubleStorage: 'f8',
  HalfStorage: 'f2',
  BFloat16Storage: 'bf16',
  LongStorage: 'i8',
  IntStorage: 'i4',
  ShortStorage: 'i2',
  CharStorage: 'i1',
  ByteStorage: 'u1',
  BoolStorage: 'b1',
};

export interface TorchStorage {
  readonly __storage: true;
  readonly dtype: PyArrayDType;
  readonly data: PyArrayData;
}

function intList(v: unknown, what: string): number[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'number' && Number.isInteger(x)))
    throw new VadError('unsupported_format', `${what} is not a tuple of integers`);
  return [...(v as number[])];
}

/** The storage type named by a persistent id's class marker (`torch.FloatStorage` …). */
export function storageTypeOf(marker: unknown, source: string): StoredType {
  const name =
    typeof marker === 'object' && marker !== null && '__global' in marker
      ? String((marker as { __global: string }).__global).replace(/^torch\./, '')
      : undefined;
  const t = name ? TORCH_STORAGES[name] : undefined;
  if (!t) throw new VadError('unsupported_format', `${source}: storage type ${JSON.stringify(name ?? marker)} is not supported`);
  return t;
}

export function storageFrom(type: StoredType, bytes: Uint8Array): TorchStorage {
  const { dtype, data } = decodeStored(type, bytes);
  return { __storage: true, dtype, data };
}

/** Globals for tensors; storages come either from persistent ids (zip) or from _load_from_bytes. */
export function torchGlobals(source: string): [string, PickleGlobal][] {
  const globals: [string, PickleGlobal][] = Object.keys(TORCH_STORAGES).map((name) => [`torch.${name}`, {}]);
  globals.push([
    'torch._utils._rebuild_tensor_v2',
    {
      call: ([storage, offset, size, stride], budget) => {
        const s = storage as TorchStorage;
        if (!s || s.__storage !== true) throw new VadError('unsupported_format', `${source}: _rebuild_tensor_v2 without a storage`);
        const shape = intList(size, `${source}: tensor size`);
        const strides = intList(stride, `${source}: tensor stride`);
        // Gathered before anything checks it: a stride-0 view of one element may claim 10^12 of them.
        budget.allocate(shape.reduce((a, b) => a * b, 1) * s.data.BYTES_PER_ELEMENT, 'a tensor');
        return pyArray(s.dtype, shape, stridedGather(s.data, shape, strides, offset as number, source));
      },
    },
  ]);
  // nn.Parameter pickles as its data plus requires_grad and hooks, none of which a bank needs.
  globals.push(['torch._utils._rebuild_parameter', { call: ([data]) => data }]);
  globals.push(['torch._utils._rebuild_parameter_with_state', { call: ([data]) => data }]);
  // torch ≥ 1.12 wraps Parameters (and tensor subclasses) as (rebuild function, type, args, state).
  globals.push([
    'torch._tensor._rebuild_from_type_v2',
    {
      call: ([fn, , args], budget) => {
        if (!isGlobal(fn) || !fn.impl.call || !Array.isArray(args))
          throw new VadError('unsupported_format', `${source}: _rebuild_from_type_v2 without an allowed rebuild function`);
        return fn.impl.call([...args], budget);
      },
    },
  ]);
  globals.push(['torch.storage._load_from_bytes', { call: ([bytes]) => readLegacyStorage(bytes, source) }]);
  return globals;
}

/**
 * A legacy torch.save of one storage: pickles of the magic number, the protocol version and
 * sys_info, then the object (a persistent id naming the storage), then the list of storage keys,
 * then for each key its element count (int64 LE) and raw little-endian bytes.
 */
export function readLegacyStorage(bytes: unknown, source: string): TorchStorage {
  if (!(bytes instanceof Uint8Array)) throw new VadError('unsupported_format', `${source}: torch.storage._load_from_bytes without bytes`);
  const what = `${source} (pickled torch storage)`;
  const reader = new ByteReader(bytes, what);
  const plain = { globals: new Map(commonGlobals()), source: what };
  unpickle(reader, plain); // magic number
  const protocol = unpickle(reader, plain);
  if (protocol !== 1001) throw new VadError('unsupported_format', `${what}: legacy torch.save protocol ${String(protocol)} is not supported (expected 1001)`);
  const sysInfo = unpickle(reader, plain);
  if (sysInfo instanceof Map && sysInfo.get('little_endian') === false)
    throw new VadError('unsupported_format', `${what}: big-endian torch files are not supported`);
  const types = new Map<string, StoredType>();
  const globals = new Map<string, PickleGlobal>([...commonGlobals(), ...Object.keys(TORCH_STORAGES).map((n): [string, PickleGlobal] => [`torch.${n}`, {}])]);
  const root = unpickle(reader, {
    globals,
    source: what,
    persistentLoad: (pid) => {
      if (!Array.isArray(pid) || pid[0] !== 'storage') throw new VadError('unsupported_format', `${what}: unexpected persistent id`);
      if (pid[5] !== null && pid[5] !== undefined) throw new VadError('unsupported_format', `${what}: storage views (torch < 1.0 files) are not supported`);
      types.set(String(pid[2]), storageTypeOf(pid[1], what));
      return { __key: String(pid[2]) };
    },
  });
  const keys = unpickle(reader, plain);
  if (!Array.isArray(keys)) throw new VadError('unsupported_format', `${what}: storage key list missing`);
  const storages = new Map<string, TorchStorage>();
  for (const key of keys) {
    const type = types.get(String(key));
    if (!type) throw new VadError('unsupported_format', `${what}: storage ${String(key)} has no type`);
    const numel = reader.u64();
    storages.set(String(key), storageFrom(type, reader.take(numel * STORED_ITEMSIZE[type])));
  }
  const rootKey = (root as { __key?: string } | null)?.__key;
  const storage = rootKey === undefined ? undefined : storages.get(rootKey);
  if (!storage) throw new VadError('unsupported_format', `${what}: does not hold a storage`);
  return storage;
}
