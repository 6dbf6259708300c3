import { readFileSync } from 'node:fs';
import { VadError } from '../errors';
import { type Float32Tensor, shapeSize, tensor } from '../tensor';

/** A golden array as stored in the case files: row-major flat data. */
export interface GoldenArray {
  shape: number[];
  dtype: 'float32' | 'float64' | 'int64' | 'int32' | 'uint8';
  data: number[];
}

export interface Tolerance {
  atol: number;
  rtol: number;
}

export interface GoldenCase {
  file: string;
  kind: string;
  params: Record<string, unknown>;
  inputs: Record<string, unknown>;
  expected: Record<string, unknown>;
  tolerance: Tolerance;
}

/** One compared quantity of a case. */
export interface Comparison {
  name: string;
  ok: boolean;
  maxAbsDiff: number;
  detail?: string;
  /** Said on the case's line even when it passes (e.g. why a difference is accepted). */
  note?: string;
}

export function loadGoldenCase(file: string): GoldenCase {
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new VadError('bad_argument', `${file}: not a readable JSON golden case (${(e as Error).message})`);
  }
  const c = raw as Partial<GoldenCase>;
  if (typeof c.kind !== 'string' || typeof c.inputs !== 'object' || typeof c.expected !== 'object') {
    throw new VadError('bad_argument', `${file}: a golden case needs "kind", "inputs" and "expected"`);
  }
  return {
    file,
    kind: c.kind,
    params: (c.params ?? {}) as Record<string, unknown>,
    inputs: c.inputs as Record<string, unknown>,
    expected: c.expected as Record<string, unknown>,
    tolerance: { atol: c.tolerance?.atol ?? 1e-4, rtol: c.tolerance?.rtol ?? 1e-4 },
  };
}

export function isGoldenArray(v: unknown): v is GoldenArray {
  return typeof v === 'object' && v !== null && Array.isArray((v as GoldenArray).shape) && Array.isArray((v as GoldenArray).data);
}

function need(v: unknown, what: string): GoldenArray {
  if (!isGoldenArray(v)) throw new VadError('bad_argument', `golden case: ${what} is not an array`);
  if (shapeSize(v.shape) !== v.data.length) throw new VadError('bad_argument', `golden case: ${what} data does not fill its shape`);
  return v;
}

export function goldenFloat32(v: unknown, what = 'value'): Float32Tensor {
  const a = need(v, what);
  return tensor('float32', Float32Array.from(a.data), a.shape);
}

export function goldenInt32(v: unknown, what = 'value'): { data: Int32Array; shape: number[] } {
  const a = need(v, what);
  return { data: Int32Array.from(a.data), shape: a.shape };
}

export function goldenNumber(v: unknown, what = 'value'): number {
  const n = typeof v === 'string' ? Number(v) : v;
  if (typeof n !== 'number' || Number.isNaN(n)) throw new VadError('bad_argument', `golden case: ${what} is not a number`);
  return n;
}

/** |got − want| ≤ atol + rtol·|want| elementwise, shapes equal. */
export function compareArrays(name: string, got: ArrayLike<number>, gotShape: readonly number[], want: unknown, tol: Tolerance): Comparison {
  const w = need(want, name);
  const sameShape = w.shape.length === gotShape.length && w.shape.every((d, i) => d === gotShape[i]);
  if (!sameShape) {
    return { name, ok: false, maxAbsDiff: Infinity, detail: `shape [${gotShape.join(',')}] != expected [${w.shape.join(',')}]` };
  }
  let maxAbsDiff = 0;
  let worst = -1;
  for (let i = 0; i < w.data.length; i++) {
    const d = Math.abs(Number(got[i]) - w.data[i]);
    if (!(d <= tol.atol + tol.rtol * Math.abs(w.data[i]))) {
      if (worst < 0 || d > maxAbsDiff || Number.isNaN(d)) worst = i;
    }
    if (d > maxAbsDiff || Number.isNaN(d)) maxAbsDiff = Number.isNaN(d) ? Infinity : d;
  }
  return worst < 0 ? { name, ok: true, maxAbsDiff } : { name, ok: false, maxAbsDiff, detail: `index ${worst}: got ${got[worst]}, want ${w.data[worst]}` };
}

export function compareNumber(name: string, got: number, want: unknown, tol: Tolerance): Comparison {
  const w = goldenNumber(want, name);
  const d = Math.abs(got - w);
  const ok = d <= tol.atol + tol.rtol * Math.abs(w);
  return ok ? { name, ok, maxAbsDiff: d } : { name, ok, maxAbsDiff: d, detail: `got ${got}, want ${w}` };
}
