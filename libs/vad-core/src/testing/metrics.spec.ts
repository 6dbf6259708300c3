import { auroc } from './metrics';

describe('auroc', () => {
  it('is 1 for a perfect ranking and 0 for a reversed one', () => {
    expect(auroc([0.1, 0.2, 0.8, 0.9], [0, 0, 1, 1])).toBe(1);
    expect(auroc([0.9, 0.8, 0.2, 0.1], [0, 0, 1, 1])).toBe(0);
  });

  it('counts ties as half, and matches a hand count on a mixed case', () => {
    expect(auroc([0.5, 0.5], [0, 1])).toBe(0.5);
    // pairs (pos, neg): (0.7>0.3 yes) (0.7>0.8 no) (0.4>0.3 yes) (0.4>0.8 no) → 2/4
    expect(auroc([0.3, 0.8, 0.7, 0.4], [0, 0, 1, 1])).toBe(0.5);
  });

  it('refuses a single class', () => {
    expect(() => auroc([1, 2], [0, 0])).toThrow(/both/);
  });
});
