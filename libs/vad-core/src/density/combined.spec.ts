import { combineAttributeScores } from './combined';

describe('combineAttributeScores', () => {
  it('sums attributes per region and sums per-attribute maxima for the frame', () => {
    const r = combineAttributeScores({ velocity: [0.9, 0.1, 0.2], pose: [0.0, 0.8, 0.1] }, 3);
    expect(Array.from(r.regionScores)).toEqual([0.9, 0.9, 0.30000000000000004]);
    // maxima come from different regions: the frame score exceeds every region score
    expect(r.frameScore).toBeCloseTo(1.7, 12);
  });

  it('keeps negative normalised scores (a region more typical than any training region)', () => {
    const r = combineAttributeScores({ appearance: [-0.5, -0.2] }, 2);
    expect(r.frameScore).toBeCloseTo(-0.2, 12);
  });

  it('scores a frame without regions 0 with no region scores', () => {
    const r = combineAttributeScores({ velocity: [], pose: [] }, 0);
    expect(r.regionScores.length).toBe(0);
    expect(r.frameScore).toBe(0);
  });

  it('refuses attribute scores that do not cover every region', () => {
    expect(() => combineAttributeScores({ velocity: [1, 2] }, 3)).toThrow(expect.objectContaining({ code: 'internal' }));
  });
});
