import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { VadError } from '../errors';
import { float32, tensor } from '../tensor';
import { entryFromTensor, entryToFloat32, entryToTensor, parseSafetensors, serializeSafetensors, type SafetensorsEntry } from './safetensors';

const f32le = (...v: number[]) => new Uint8Array(new Float32Array(v).buffer);

function expectCode(fn: () => unknown, code: string, message?: RegExp): void {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(VadError);
    expect((e as VadError).code).toBe(code);
    if (message) expect((e as VadError).message).toMatch(message);
    return;
  }
  throw new Error(`expected VadError(${code})`);
}

function withHeader(header: object, data: Uint8Array): Uint8Array {
  const json = Buffer.from(JSON.stringify(header));
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(data, 8 + json.length);
  return out;
}

describe('serializeSafetensors: the published reference bytes (safetensors/src/tensor.rs tests)', () => {
  const six = f32le(0, 1, 2, 3, 4, 5);

  it('test_serialization: one F32 [1,2,3] tensor, header already 8-aligned', () => {
    const out = serializeSafetensors({ 'attn.0': { dtype: 'F32', shape: [1, 2, 3], bytes: six } });
    expect([...out]).toEqual([
      64, 0, 0, 0, 0, 0, 0, 0, 123, 34, 97, 116, 116, 110, 46, 48, 34, 58, 123, 34, 100, 116, 121, 112, 101, 34, 58, 34, 70, 51, 50, 34, 44, 34, 115, 104, 97,
      112, 101, 34, 58, 91, 49, 44, 50, 44, 51, 93, 44, 34, 100, 97, 116, 97, 95, 111, 102, 102, 115, 101, 116, 115, 34, 58, 91, 48, 44, 50, 52, 93, 125, 125,
      0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64,
    ]);
  });

  it('test_serialization_forced_alignement: the header is padded with spaces', () => {
    const out = serializeSafetensors({ attn0: { dtype: 'F32', shape: [1, 1, 2, 3], bytes: six } });
    expect([...out.subarray(0, 8)]).toEqual([72, 0, 0, 0, 0, 0, 0, 0]);
    expect(Buffer.from(out.subarray(8, 80)).toString()).toBe('{"attn0":{"dtype":"F32","shape":[1,1,2,3],"data_offsets":[0,24]}}       ');
    expect([...out.subarray(80)]).toEqual([...six]);
  });

  it('test_empty: no tensors, with and without metadata', () => {
    expect([...serializeSafetensors({})]).toEqual([8, 0, 0, 0, 0, 0, 0, 0, 123, 125, 32, 32, 32, 32, 32, 32]);
    const out = serializeSafetensors({}, { framework: 'pt' });
    expect(out.length).toBe(48);
    expect(Buffer.from(out.subarray(8)).toString()).toBe('{"__metadata__":{"framework":"pt"}}     ');
  });
});

describe('serializeSafetensors: order', () => {
  it('sorts by dtype rank descending (I64 > F64 > F32 > I32 > F16 > U8 > BOOL), then by name', () => {
    const t = (dtype: SafetensorsEntry['dtype'], n: number): SafetensorsEntry => ({
      dtype,
      shape: [n],
      bytes: new Uint8Array(n * { I64: 8, F64: 8, F32: 4, I32: 4, F16: 2, U8: 1, BOOL: 1 }[dtype as 'I64']),
    });
    const out = serializeSafetensors({
      b_bool: t('BOOL', 1),
      z_f32: t('F32', 1),
      a_f32: t('F32', 2),
      u8: t('U8', 3),
      f16: t('F16', 1),
      i32: t('I32', 1),
      f64: t('F64', 1),
      i64: t('I64', 1),
    });
    const parsed = parseSafetensors(out);
    expect([...parsed.tensors.keys()]).toEqual(['i64', 'f64', 'a_f32', 'z_f32', 'i32', 'f16', 'u8', 'b_bool']);
  });
});

describe('serializeSafetensors vs an independent Python writer', () => {
  const script = join(__dirname, '../../../../tools/fixtures/safetensors_reference.py');
  const python = '/usr/bin/python3';

  it('produces the same bytes for mixed dtypes, metadata and unicode names', () => {
    expect(existsSync(python)).toBe(true);
    const tensors: Record<string, SafetensorsEntry> = {
      'velocity.gmm.weights': { dtype: 'F32', shape: [2], bytes: f32le(0.25, 0.75) },
      'pose.group': { dtype: 'I32', shape: [3], bytes: new Uint8Array(new Int32Array([0, 1, 1]).buffer) },
      'pose.bank': { dtype: 'F32', shape: [3, 2], bytes: f32le(1, 2, 3, 4, 5, 6) },
      'big.i64': { dtype: 'I64', shape: [1], bytes: new Uint8Array(new BigInt64Array([-5n]).buffer) },
      half: { dtype: 'F16', shape: [2], bytes: new Uint8Array([0, 60, 0, 188]) },
      vidéo: { dtype: 'U8', shape: [1, 1], bytes: new Uint8Array([7]) },
      empty: { dtype: 'F32', shape: [0, 4], bytes: new Uint8Array(0) },
    };
    const metadata = { groups: '["01","02"]', k_pose: '1', fitted_with: 'vad-serve 0.1.0 "quoted"\n' };
    const spec = {
      tensors: Object.fromEntries(Object.entries(tensors).map(([k, t]) => [k, { dtype: t.dtype, shape: t.shape, hex: Buffer.from(t.bytes).toString('hex') }])),
      metadata,
    };
    const expected = execFileSync(python, [script], { input: JSON.stringify(spec) }).toString();
    expect(Buffer.from(serializeSafetensors(tensors, metadata)).toString('hex')).toBe(expected);
  });
});

describe('parseSafetensors', () => {
  it('round-trips tensors and metadata', () => {
    const bytes = serializeSafetensors(
      { a: entryFromTensor(float32([1, 2, 3, 4], [2, 2])), g: entryFromTensor(tensor('int32', new Int32Array([3, -1]), [2])) },
      { groups: '["x"]' },
    );
    const parsed = parseSafetensors(bytes);
    expect(parsed.metadata).toEqual({ groups: '["x"]' });
    expect(Array.from(entryToFloat32(parsed.tensors.get('a')!))).toEqual([1, 2, 3, 4]);
    const g = entryToTensor(parsed.tensors.get('g')!);
    expect(g.dtype).toBe('int32');
    expect(Array.from(g.data as Int32Array)).toEqual([3, -1]);
  });

  it('accepts tensors in any order as long as they tile the data', () => {
    const data = new Uint8Array([...f32le(1), ...f32le(2, 3)]);
    const file = parseSafetensors(
      withHeader({ b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] }, a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, data),
    );
    expect(Array.from(entryToFloat32(file.tensors.get('b')!))).toEqual([2, 3]);
  });

  it('reads from an unaligned buffer (a subarray of a pooled Buffer)', () => {
    const bytes = serializeSafetensors({ a: { dtype: 'F32', shape: [2], bytes: f32le(1.5, -2) } });
    const shifted = new Uint8Array(bytes.length + 3);
    shifted.set(bytes, 3);
    expect(Array.from(entryToFloat32(parseSafetensors(shifted.subarray(3)).tensors.get('a')!))).toEqual([1.5, -2]);
  });

  it('decodes F16 and BF16 to float32', () => {
    const half = entryToFloat32({ dtype: 'F16', shape: [4], bytes: new Uint8Array([0x00, 0x3c, 0x00, 0xc0, 0x01, 0x00, 0x00, 0x7c]) });
    expect(Array.from(half)).toEqual([1, -2, 2 ** -24, Infinity]);
    const bf = entryToFloat32({ dtype: 'BF16', shape: [2], bytes: new Uint8Array([0x80, 0x3f, 0x40, 0xc0]) });
    expect(Array.from(bf)).toEqual([1, -3]);
  });

  it.each([
    ['a truncated length', new Uint8Array(4), /less than the 8-byte/],
    [
      'a header over 100 MB',
      (() => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 100_000_001n, true);
        return b;
      })(),
      /exceeds/,
    ],
    [
      'a header past the end',
      (() => {
        const b = new Uint8Array(16);
        new DataView(b.buffer).setBigUint64(0, 64n, true);
        return b;
      })(),
      /past the end/,
    ],
    ['non-JSON', withHeader({}, new Uint8Array(0)).fill(0x41, 8), /not UTF-8 JSON/],
    ['an unknown dtype', withHeader({ a: { dtype: 'C64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(8)), /unsupported dtype/],
    ['a shape/bytes mismatch', withHeader({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, new Uint8Array(8)), /needs 12 bytes/],
    [
      'overlapping tensors',
      withHeader({ a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)),
      /overlaps/,
    ],
    ['a gap', withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)), /gap before/],
    ['trailing bytes', withHeader({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)), /data section holds 8/],
    ['offsets out of bounds', withHeader({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, new Uint8Array(8)), /cover 16 bytes/],
    ['non-string metadata', withHeader({ __metadata__: { k: 1 } }, new Uint8Array(0)), /not a string/],
  ])('refuses %s with model_invalid', (_what, bytes, message) => {
    expectCode(() => parseSafetensors(bytes, 'density.safetensors'), 'model_invalid', message);
  });

  it('names the file in the error', () => {
    expectCode(() => parseSafetensors(new Uint8Array(2), 'x/density.safetensors'), 'model_invalid', /x\/density\.safetensors/);
  });

  it('refuses to write a tensor whose bytes do not fill its shape', () => {
    expectCode(() => serializeSafetensors({ a: { dtype: 'F32', shape: [3], bytes: new Uint8Array(8) } }), 'bad_argument', /needs 12 bytes/);
  });
});
