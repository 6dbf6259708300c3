import type { ClipScore } from '@vad/core';
import { FAKE_MODEL } from '../testing/fake-model';
import { invocationJson } from './json';

const clip = (score: number): ClipScore => ({ score, regions: [], timingsMs: {} });

describe('invocationJson', () => {
  it('says per frame whether the score is over the model threshold when the model has one', () => {
    const r = invocationJson(
      { ...FAKE_MODEL, threshold: 1 },
      [clip(0.5), clip(1.5), clip(1)],
      [1, 2, 3],
      [
        [240, 360],
        [240, 360],
        [240, 360],
      ],
      {},
    );
    expect(r.results.map((f) => f.overThreshold)).toEqual([false, true, false]);
  });

  it('leaves overThreshold out for a model without a threshold', () => {
    const r = invocationJson(FAKE_MODEL, [clip(2)], [1], [[240, 360]], {});
    expect('overThreshold' in r.results[0]!).toBe(false);
  });
});
