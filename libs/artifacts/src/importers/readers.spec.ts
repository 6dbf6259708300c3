import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { VadError } from '@vad/core';
import { readJoblib } from './joblib';
import { readPickle } from './pickle-file';
import { isPyArray, type PyArray } from './py-array';
import { makePythonFixtures, type PythonFixtures } from './python-fixtures';
import { readTorchZip, tensorsOf } from './torch-zip';

/**
 * Real files written by Python (tools/fixtures/make_fixtures.py with Debian's python3-torch,
 * python3-joblib, python3-numpy) against what Python says they hold.
 */
let fx: PythonFixtures;
let dir: string;
let expected: any;

beforeAll(() => {
  fx = makePythonFixtures();
  dir = fx.dir;
  expected = fx.expected;
});
afterAll(() => fx.remove());

const DTYPES: Record<string, string> = { float32: 'float32', float16: 'float32', float64: 'float64', int64: 'int64', int32: 'int32' };

function expectArray(actual: unknown, want: { dtype: string; shape: number[]; values: number[] }): void {
  expect(isPyArray(actual)).toBe(true);
  const a = actual as PyArray;
  expect(a.shape).toEqual(want.shape);
  expect(a.dtype).toBe(DTYPES[want.dtype]);
  const values = Array.from(a.data as ArrayLike<number | bigint>, (v) => Number(v));
  expect(values.length).toBe(want.values.length);
  values.forEach((v, i) => expect(v).toBeCloseTo(want.values[i]!, 5));
}

const read = (name: string) => new Uint8Array(readFileSync(join(dir, name)));

describe('readTorchZip', () => {
  it('reads a state dict: fp32, fp16, int64, views sharing a storage, a 0-d scalar', () => {
    const tensors = tensorsOf(readTorchZip(read('state_dict.pth'), 'state_dict.pth'));
    expect([...tensors.keys()].sort()).toEqual(Object.keys(expected['state_dict.pth']).sort());
    for (const [name, want] of Object.entries<any>(expected['state_dict.pth'])) expectArray(tensors.get(name), want);
  });

  it('reads a {state_dict, epoch, cfg} checkpoint', () => {
    const obj = readTorchZip(read('checkpoint.pth'), 'checkpoint.pth') as Map<string, unknown>;
    expect(obj.get('epoch')).toBe(expected['checkpoint.pth'].epoch);
    expect((obj.get('cfg') as Map<string, unknown>).get('name')).toBe('ai_vad');
    const tensors = tensorsOf(obj);
    for (const [name, want] of Object.entries<any>(expected['checkpoint.pth'].tensors)) expectArray(tensors.get(name), want);
  });

  it('refuses a file that is not a torch zip', () => {
    expect(() => readTorchZip(read('banks.joblib'), 'banks.joblib')).toThrow(/not a zip archive/);
  });
});

describe('readJoblib', () => {
  it.each(['banks.joblib', 'banks_compressed.joblib'])('reads the tutorial-like banks tuple from %s (inline arrays, Fortran order)', (file) => {
    const banks = readJoblib(read(file), file) as unknown[];
    expect(banks.length).toBe(3);
    expectArray(banks[0], expected.banks.velocity);
    const pose = banks[1] as Map<string, unknown>;
    expect([...pose.keys()]).toEqual(['01', '02']);
    expectArray(pose.get('01'), expected.banks.pose['01']);
    expectArray(pose.get('02'), expected.banks.pose['02']);
    expect(banks[2]).toBeNull();
  });
});

describe('torch tensors pickled outside torch.save (the tutorial banks)', () => {
  it('rebuilds tensors from _load_from_bytes storages: a transposed view, an offset slice, fp16', () => {
    const [velocity, pose, appearance] = readJoblib(read('tutorial/ai_vad_banks.joblib'), 'ai_vad_banks.joblib') as [
      PyArray,
      Map<string, PyArray>,
      Map<string, PyArray>,
    ];
    const want = expected.tutorial;
    expect(velocity.shape).toEqual([want.velocity.rows, 2]);
    expect(Array.from(velocity.data.slice(0, 2) as Float32Array)).toEqual(want.velocity.first_row);
    expect([...pose.keys()]).toEqual(want.pose.groups);
    expect(pose.get('02')!.shape).toEqual([4, 34]);
    expect(Array.from(pose.get('02')!.data.slice(0, 34) as Float32Array)).toEqual(want.pose.row_of_02);
    expect(appearance.get('01')!.dtype).toBe('float32');
    expect(appearance.get('01')!.shape).toEqual([4, want.appearance.dim]);
  });
});

describe('readPickle', () => {
  it.each(['array_p2.pkl', 'array_p4.pkl'])('reads numpy arrays pickled with %s', (file) => {
    const obj = readPickle(read(file), file) as Map<string, unknown>;
    expectArray(obj.get('a'), expected['array.pkl'].a);
    expect(obj.get('n')).toBe(42);
    expect(obj.get('s')).toBe('text');
  });

  it('refuses a pickle that would call os.system, naming it, without running it', () => {
    let error: unknown;
    try {
      readPickle(read('malicious.pkl'), 'malicious.pkl');
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(VadError);
    expect((error as VadError).code).toBe('pickle_refused');
    expect((error as VadError).message).toMatch(/os\.system/);
    expect(existsSync(expected['malicious.pkl'].marker)).toBe(false);
  });
});
