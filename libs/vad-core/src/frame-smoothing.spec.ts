import { smoothFrameScores } from './frame-smoothing';

describe('smoothFrameScores', () => {
  it('is a centred moving mean, shortened at the ends', () => {
    expect(smoothFrameScores([0, 3, 0, 0, 6], 1)).toEqual([1.5, 1, 1, 2, 3]);
  });
  it('radius 0 leaves the scores as they are', () => {
    expect(smoothFrameScores([4, 1, 2], 0)).toEqual([4, 1, 2]);
  });
  it('refuses a negative or fractional radius', () => {
    expect(() => smoothFrameScores([1], -1)).toThrow(RangeError);
    expect(() => smoothFrameScores([1], 1.5)).toThrow(RangeError);
  });
});
