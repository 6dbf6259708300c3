import { VadError } from '@vad/core';
import { readPickle } from '../importers/pickle-file';
import { PickleWriter } from '../testing/hostile';
import { pickleLimits, unpackLimits } from './limits';

/** The caps are read from the environment at call time, so a user can raise (or lower) each. */
const saved = { ...process.env };
afterEach(() => {
  process.env = { ...saved };
});

function nested(depth: number): Buffer {
  const w = new PickleWriter().proto();
  for (let i = 0; i < depth; i++) w.emptyList();
  for (let i = 1; i < depth; i++) w.append();
  return w.stop().bytes();
}

describe('limits from the environment', () => {
  it('defaults, with no variable set, fit a real model', () => {
    expect(unpackLimits()).toMatchObject({ maxEntryBytes: 1024 ** 3, maxTotalBytes: 2 * 1024 ** 3, maxRatio: 100 });
    expect(pickleLimits()).toMatchObject({ maxDepth: 1000, maxStack: 100_000, maxElements: 500_000, maxLongBytes: 64 });
  });

  it('VAD_UNPACK_MAX_MEMBER_MB and VAD_PICKLE_MAX_TOTAL_MB are megabytes', () => {
    process.env['VAD_UNPACK_MAX_MEMBER_MB'] = '3000';
    process.env['VAD_PICKLE_MAX_TOTAL_MB'] = '0.5';
    expect(unpackLimits().maxEntryBytes).toBe(3000 * 1024 * 1024);
    expect(pickleLimits().maxTotalBytes).toBe(512 * 1024);
  });

  it('a 50-deep pickle loads by default and is refused under VAD_PICKLE_MAX_DEPTH=20, naming the variable', () => {
    expect(Array.isArray(readPickle(nested(50), 'deep.pkl'))).toBe(true);
    process.env['VAD_PICKLE_MAX_DEPTH'] = '20';
    const e = (() => {
      try {
        readPickle(nested(50), 'deep.pkl');
      } catch (err) {
        return err;
      }
      return undefined;
    })();
    expect(e).toBeInstanceOf(VadError);
    expect((e as VadError).code).toBe('unsafe_pickle');
    expect((e as VadError).message).toMatch(/deep\.pkl: containers nested 21 deep, more than the 20 allowed \(VAD_PICKLE_MAX_DEPTH raises it\)/);
  });

  it('a value that is not a positive number is a bad_argument naming the variable', () => {
    process.env['VAD_PICKLE_MAX_STACK'] = 'lots';
    expect(() => pickleLimits()).toThrow(/VAD_PICKLE_MAX_STACK=lots: expected a positive number/);
  });
});
