import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { VadError } from '@vad/core';
import { readJoblib } from './joblib';
import { readPickle } from './pickle-file';
import { isPyArray, type PyArray } from './py-array';
import { readTorchZip, tensorsOf } from './torch-zip';

/**
 * Real files written by Python (tools/fixtures/make_fixtures.py with Debian's python3-torch,
 * python3-joblib, python3-numpy) against what Python says they hold.
 */
const PYTHON = '/usr/bin/python3';
const SCRIPT = resolve(__dirname, '../../../../tools/fixtures/make_fixtures.py');
let dir: string;
let expected: any;

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'vad-fixtures-'));
  try {
    execFileSync(PYTHON, [SCRIPT, dir], { stdio: 'pipe' });
  } catch (e) {
    throw new Error(
      `tools/fixtures/make_fixtures.py failed; these tests need Python with torch, joblib and numpy: ` +
        `apt-get install -y python3-torch python3-joblib python3-numpy\n${String((e as { stderr?: Buffer }).stderr ?? e)}`,
    );
  }
  expected = JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

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
