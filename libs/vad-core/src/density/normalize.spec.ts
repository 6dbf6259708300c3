import { minMaxNormalize, minMaxOf, normalizeKnnDistances } from './normalize';

describe('min-max normalisation', () => {
  it('maps min to 0 and max to 1 and keeps scores outside the training range', () => {
    expect(Array.from(minMaxNormalize([2, 4, 6, 0, 10], { min: 2, max: 6 }))).toEqual([0, 0.5, 1, -0.5, 2]);
  });

  it('divides by 1 when max == min instead of producing NaN/Infinity', () => {
    expect(Array.from(minMaxNormalize([3, 5], { min: 3, max: 3 }))).toEqual([0, 2]);
  });

  it('refuses a reversed or non-finite range with model_invalid', () => {
    expect(() => minMaxNormalize([1], { min: 2, max: 1 })).toThrow(expect.objectContaining({ code: 'model_invalid' }));
    expect(() => minMaxNormalize([1], { min: NaN, max: 1 })).toThrow(expect.objectContaining({ code: 'model_invalid' }));
  });

  it('takes min/max over all values and refuses NaN or nothing', () => {
    expect(minMaxOf(Float64Array.from([3, -1, 7, 2]), 'x')).toEqual({ min: -1, max: 7 });
    expect(() => minMaxOf([1, NaN], 'x')).toThrow(expect.objectContaining({ code: 'bank_invalid' }));
    expect(() => minMaxOf([], 'x')).toThrow(expect.objectContaining({ code: 'bank_invalid' }));
  });

  it('normalises kNN distances as the mean over k of the normalised distances', () => {
    const got = normalizeKnnDistances(Float64Array.from([1, 3, 2, 2]), 2, { min: 1, max: 5 });
    // row 0: ((1-1)/4 + (3-1)/4)/2 = 0.25 ; row 1: (0.25 + 0.25)/2 = 0.25
    expect(Array.from(got)).toEqual([0.25, 0.25]);
  });
});
