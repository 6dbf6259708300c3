import type { Detections } from './detector';
import { REGION_SOURCE, concatRegions, emptyRegions, regionsFromDetections, selectRegions } from './regions';

const detections: Detections = {
  count: 2,
  boxes: Float32Array.from([1, 2, 3, 4, 5, 6, 7, 8]),
  labels: Int32Array.from([1, 3]),
  scores: Float32Array.from([0.9, 0.8]),
};
const foreground = {
  count: 1,
  boxes: Float32Array.from([10, 11, 12, 13]),
  labels: Int32Array.from([0]),
  scores: Float32Array.from([0.5]),
  source: Uint8Array.from([REGION_SOURCE.foreground]),
};

describe('regions', () => {
  it('marks detector output as detector regions', () => {
    const r = regionsFromDetections(detections);
    expect(r.count).toBe(2);
    expect(Array.from(r.source)).toEqual([REGION_SOURCE.detector, REGION_SOURCE.detector]);
  });

  it('appends foreground regions after detector regions', () => {
    const r = concatRegions(regionsFromDetections(detections), foreground);
    expect(r.count).toBe(3);
    expect(Array.from(r.boxes)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 10, 11, 12, 13]);
    expect(Array.from(r.labels)).toEqual([1, 3, 0]);
    expect(Array.from(r.scores)).toEqual([0.9, 0.8, 0.5].map(Math.fround));
    expect(Array.from(r.source)).toEqual([0, 0, 1]);
  });

  it('concatenates with empty regions on either side', () => {
    expect(concatRegions(emptyRegions(), foreground).count).toBe(1);
    expect(concatRegions(regionsFromDetections(detections), emptyRegions()).count).toBe(2);
    expect(concatRegions(emptyRegions(), emptyRegions()).count).toBe(0);
  });

  it('selects regions in the given order', () => {
    const r = selectRegions(concatRegions(regionsFromDetections(detections), foreground), [2, 0]);
    expect(r.count).toBe(2);
    expect(Array.from(r.boxes)).toEqual([10, 11, 12, 13, 1, 2, 3, 4]);
    expect(Array.from(r.labels)).toEqual([0, 1]);
    expect(Array.from(r.source)).toEqual([1, 0]);
    expect(selectRegions(r, []).count).toBe(0);
    expect(() => selectRegions(r, [2])).toThrow(/outside 0..1/);
  });
});
