import { VadError } from '../errors';
import { postprocessRegions } from './postprocess';

const DEFAULTS = { personsOnly: false, minBboxArea: 100, maxBboxOverlap: 0.65 };
const run = (boxes: number[][], labels: number[], opts = DEFAULTS) =>
  Array.from(postprocessRegions(Float32Array.from(boxes.flat()), Int32Array.from(labels), opts));

describe('postprocessRegions', () => {
  it('returns nothing for zero boxes', () => {
    expect(run([], [])).toEqual([]);
  });

  it('keeps only persons (label 1) when personsOnly, which drops foreground regions (label 0)', () => {
    const boxes = [
      [0, 0, 20, 20],
      [30, 30, 50, 50],
      [60, 60, 80, 80],
    ];
    expect(run(boxes, [1, 0, 3], { ...DEFAULTS, personsOnly: true })).toEqual([0]);
    expect(run(boxes, [1, 0, 3])).toEqual([0, 1, 2]);
  });

  it('keeps areas strictly greater than minBboxArea', () => {
    // 10x10 = 100 is not > 100; 10x10.5 = 105 is.
    expect(
      run(
        [
          [0, 0, 10, 10],
          [20, 20, 30, 30.5],
        ],
        [1, 1],
      ),
    ).toEqual([1]);
  });

  it('returns survivors in ascending area order, equal areas in input order', () => {
    const boxes = [
      [0, 0, 30, 30],
      [100, 100, 120, 120],
      [200, 0, 220, 20],
      [0, 200, 15, 215],
    ];
    expect(run(boxes, [1, 1, 1, 1])).toEqual([3, 1, 2, 0]);
  });

  it('drops a small box mostly inside a larger one, keeps the larger', () => {
    // Small 20x20 = 400 inside big 40x40: overlap 400/400 = 1 > 0.65.
    expect(
      run(
        [
          [0, 0, 40, 40],
          [5, 5, 25, 25],
        ],
        [1, 1],
      ),
    ).toEqual([0]);
  });

  it('compares overlap / area(small) with a strict >', () => {
    // Small box 10x20 = 200, big box 40x40. Overlap 6.5 px wide x 20 = 130: exactly 0.65 -> kept.
    expect(
      run(
        [
          [0, 0, 40, 40],
          [33.5, 0, 43.5, 20],
        ],
        [1, 1],
      ),
    ).toEqual([1, 0]);
    // Overlap 6.75 x 20 = 135 -> 0.675 > 0.65 -> dropped.
    expect(
      run(
        [
          [0, 0, 40, 40],
          [33.25, 0, 43.25, 20],
        ],
        [1, 1],
      ),
    ).toEqual([0]);
  });

  it('measures overlap against every larger box, even one that is itself dropped', () => {
    const a = [0, 0, 12, 12]; // 144: inside b (1.0), half in c (6x12 = 72 -> 0.5)
    const b = [0, 0, 20, 20]; // 400: 14x20 = 280 in c -> 0.7, dropped
    const c = [6, 0, 46, 40]; // 1600
    // a goes because of b, although b goes too: judging a against survivors only would keep it.
    expect(run([c, b, a], [1, 1, 1])).toEqual([0]);
    expect(run([c, a], [1, 1])).toEqual([1, 0]);
  });

  it('never drops the largest box nor boxes that only touch', () => {
    expect(
      run(
        [
          [0, 0, 20, 20],
          [20, 0, 40, 20],
          [0, 20, 20, 40],
        ],
        [1, 1, 1],
      ),
    ).toEqual([0, 1, 2]);
  });

  it('refuses labels that do not match the boxes', () => {
    expect(() => postprocessRegions(new Float32Array(8), new Int32Array(3), DEFAULTS)).toThrow(VadError);
  });
});
