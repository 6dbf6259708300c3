import { VadError } from '@vad/core';
import { decodeStored, fortranToC, pyArray, STORED_ITEMSIZE, type PyArray, type StoredType } from './py-array';
import { tuple, type Buildable, type PickleGlobal } from './unpickler';

/**
 * Stand-ins for the few Python globals that plain containers, numpy arrays and torch.Size need.
 * Each returns data; none of them runs anything from the file.
 */

/** numpy.dtype after BUILD: descr ('f4', 'i8', …) and byte order. */
export class NumpyDType implements Buildable {
  byteorder = '=';
  constructor(readonly descr: string) {}
  __setstate__(state: unknown): void {
    if (Array.isArray(state) && typeof state[1] === 'string') this.byteorder = state[1];
  }
  stored(what: string): StoredType {
    const d = this.descr.replace(/^[<>=|]/, '');
    const map: Record<string, StoredType> = { f2: 'f2', f4: 'f4', f8: 'f8', i8: 'i8', i4: 'i4', i2: 'i2', i1: 'i1', u1: 'u1', b1: 'b1' };
    const t = map[d];
    if (!t) throw new VadError('unsupported_format', `${what}: numpy dtype ${this.descr} is not supported (object and string arrays cannot hold features)`);
    return t;
  }
  get bigEndian(): boolean {
    return this.byteorder === '>' || this.descr.startsWith('>');
  }
}

/** Decodes numpy's raw array bytes (C or Fortran order) into a C-order PyArray. */
export function numpyArray(dtype: NumpyDType, shape: number[], fortran: boolean, raw: Uint8Array, what: string): PyArray {
  const type = dtype.stored(what);
  const n = shape.reduce((a, b) => a * b, 1);
  if (raw.byteLength !== n * STORED_ITEMSIZE[type]) {
    throw new VadError(
      'unsupported_format',
      `${what}: array [${shape.join(', ')}] of ${dtype.descr} needs ${n * STORED_ITEMSIZE[type]} bytes, has ${raw.byteLength}`,
    );
  }
  const { dtype: dt, data } = decodeStored(type, raw, dtype.bigEndian);
  return pyArray(dt, [...shape], fortran && shape.length > 1 ? fortranToC(data, shape, what) : data);
}

/** numpy.core.multiarray._reconstruct(ndarray, (0,), b'b') then BUILD (version, shape, dtype, fortran, raw). */
class NdarrayBuilder implements Buildable {
  __setstate__(state: unknown): void {
    if (!Array.isArray(state) || state.length < 5) throw new VadError('unsupported_format', 'numpy array state is not (version, shape, dtype, fortran, data)');
    const [, shape, dtype, fortran, raw] = state as [unknown, number[], NumpyDType, boolean, unknown];
    if (!(dtype instanceof NumpyDType)) throw new VadError('unsupported_format', 'numpy array state has no dtype');
    if (!(raw instanceof Uint8Array)) throw new VadError('unsupported_format', 'numpy object arrays are not supported');
    Object.assign(this, numpyArray(dtype, [...shape], fortran, raw, 'numpy array'));
  }
}

export function commonGlobals(): [string, PickleGlobal][] {
  const reconstruct: PickleGlobal = { call: () => new NdarrayBuilder() };
  return [
    ['collections.OrderedDict', { call: () => new Map() }],
    ['builtins.set', { call: ([items]) => new Set(items as unknown[]) }],
    ['builtins.frozenset', { call: ([items]) => new Set(items as unknown[]) }],
    // Protocol 2 pickles of bytes: _codecs.encode(latin-1 text, 'latin1').
    [
      '_codecs.encode',
      {
        call: ([text, encoding]) => {
          if (typeof text !== 'string' || (encoding !== 'latin1' && encoding !== 'latin-1'))
            throw new VadError('unsupported_format', '_codecs.encode is only allowed for latin-1 bytes');
          return new Uint8Array(Buffer.from(text, 'latin1'));
        },
      },
    ],
    ['torch.Size', { call: ([dims]) => tuple([...(dims as unknown[])]) }],
    ['numpy.dtype', { call: ([descr]) => new NumpyDType(String(descr)) }],
    ['numpy.ndarray', {}],
    ['numpy.core.multiarray._reconstruct', reconstruct],
    ['numpy._core.multiarray._reconstruct', reconstruct],
    [
      'numpy.core.multiarray.scalar',
      {
        call: ([dtype, raw]) => {
          if (!(dtype instanceof NumpyDType) || !(raw instanceof Uint8Array)) throw new VadError('unsupported_format', 'numpy scalar without dtype or bytes');
          const a = numpyArray(dtype, [1], false, raw, 'numpy scalar');
          const v = a.data[0]!;
          return typeof v === 'bigint' ? Number(v) : v;
        },
      },
    ],
  ];
}
