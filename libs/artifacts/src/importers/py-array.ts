import { halfToFloat, VadError } from '@vad/core';

/**
 * numpy arrays and torch tensors as they come out of a pickle: always C order, half and bfloat16
 * widened to float32 (what vad-core computes with).
 */
export type PyArrayDType = 'float32' | 'float64' | 'int64' | 'int32' | 'int16' | 'int8' | 'uint8' | 'bool';
export type PyArrayData = Float32Array | Float64Array | BigInt64Array | Int32Array | Int16Array | Int8Array | Uint8Array;

export interface PyArray {
  readonly __array: true;
  readonly dtype: PyArrayDType;
  readonly shape: number[];
  readonly data: PyArrayData;
}

export function isPyArray(v: unknown): v is PyArray {
  return typeof v === 'object' && v !== null && (v as { __array?: unknown }).__array === true;
}

/** A stored element type: numpy descr ('f4', 'i8', …) or torch storage, in bytes on disk. */
export type StoredType = 'f2' | 'bf16' | 'f4' | 'f8' | 'i8' | 'i4' | 'i2' | 'i1' | 'u1' | 'b1';

export const STORED_ITEMSIZE: Record<StoredType, number> = { f2: 2, bf16: 2, f4: 4, f8: 8, i8: 8, i4: 4, i2: 2, i1: 1, u1: 1, b1: 1 };

/** Little-endian bytes of a stored type as a typed array (a copy, so it is aligned). */
export function decodeStored(type: StoredType, bytes: Uint8Array, bigEndian = false): { dtype: PyArrayDType; data: PyArrayData } {
  const copy = new Uint8Array(bytes);
  if (bigEndian && STORED_ITEMSIZE[type] > 1) {
    const n = STORED_ITEMSIZE[type];
    for (let i = 0; i < copy.length; i += n) copy.subarray(i, i + n).reverse();
  }
  const buf = copy.buffer;
  switch (type) {
    case 'f4':
      return { dtype: 'float32', data: new Float32Array(buf) };
    case 'f8':
      return { dtype: 'float64', data: new Float64Array(buf) };
    case 'f2': {
      const h = new Uint16Array(buf);
      return { dtype: 'float32', data: Float32Array.from(h, halfToFloat) };
    }
    case 'bf16': {
      const h = new Uint16Array(buf);
      const u = new Uint32Array(h.length);
      for (let i = 0; i < h.length; i++) u[i] = h[i]! << 16;
      return { dtype: 'float32', data: new Float32Array(u.buffer) };
    }
    case 'i8':
      return { dtype: 'int64', data: new BigInt64Array(buf) };
    case 'i4':
      return { dtype: 'int32', data: new Int32Array(buf) };
    case 'i2':
      return { dtype: 'int16', data: new Int16Array(buf) };
    case 'i1':
      return { dtype: 'int8', data: new Int8Array(buf) };
    case 'u1':
      return { dtype: 'uint8', data: copy };
    case 'b1':
      return { dtype: 'bool', data: copy };
  }
}

function emptyLike(data: PyArrayData, n: number): PyArrayData {
  return new (data.constructor as new (n: number) => PyArrayData)(n);
}

/** Elements of a strided view (torch size/stride/offset, or numpy Fortran order) gathered into C order. */
export function stridedGather(src: PyArrayData, shape: readonly number[], strides: readonly number[], offset: number, what: string): PyArrayData {
  const n = shape.reduce((a, b) => a * b, 1);
  if (n === 0) return emptyLike(src, 0);
  let last = offset;
  for (let d = 0; d < shape.length; d++) last += (shape[d]! - 1) * strides[d]!;
  if (offset < 0 || last >= src.length || last < 0) {
    throw new VadError(
      'unsupported_format',
      `${what}: view (offset ${offset}, shape [${shape.join(', ')}], stride [${strides.join(', ')}]) runs outside its storage of ${src.length} elements`,
    );
  }
  const contiguous = strides.every((s, d) => s === shape.slice(d + 1).reduce((a, b) => a * b, 1) || shape[d] === 1);
  if (contiguous) return src.slice(offset, offset + n) as PyArrayData;
  const out = emptyLike(src, n) as { [i: number]: number | bigint };
  const index = new Array<number>(shape.length).fill(0);
  const source = src as unknown as { [i: number]: number | bigint };
  for (let i = 0; i < n; i++) {
    let at = offset;
    for (let d = 0; d < shape.length; d++) at += index[d]! * strides[d]!;
    out[i] = source[at]!;
    for (let d = shape.length - 1; d >= 0; d--) {
      if (++index[d]! < shape[d]!) break;
      index[d] = 0;
    }
  }
  return out as unknown as PyArrayData;
}

export function pyArray(dtype: PyArrayDType, shape: number[], data: PyArrayData): PyArray {
  return { __array: true, dtype, shape, data };
}

/** Any numeric array as float32 values (int64 via Number: bank group ids and counts are small). */
export function toFloat32(a: PyArray): Float32Array {
  if (a.data instanceof Float32Array) return a.data;
  if (a.data instanceof BigInt64Array) return Float32Array.from(a.data, (v) => Number(v));
  return Float32Array.from(a.data as ArrayLike<number>);
}

/** Fortran-order numpy data → C order. */
export function fortranToC(data: PyArrayData, shape: readonly number[], what: string): PyArrayData {
  const strides: number[] = [];
  let s = 1;
  for (const d of shape) {
    strides.push(s);
    s *= d;
  }
  return stridedGather(data, shape, strides, 0, what);
}
