import { VadError } from '../errors';
import { float32, zeros } from '../tensor';
import { POSE_FEATURE_DIM, POSE_KEYPOINTS, poseFeatures } from './pose';

/** [M, 17, 3] keypoints, every keypoint of box m at (x, y) = at(m, k). */
function keypoints(m: number, at: (m: number, k: number) => [number, number]) {
  const data = new Float32Array(m * POSE_KEYPOINTS * 3);
  for (let i = 0; i < m; i++) {
    for (let k = 0; k < POSE_KEYPOINTS; k++) {
      const [x, y] = at(i, k);
      data.set([x, y, 0.9], (i * POSE_KEYPOINTS + k) * 3);
    }
  }
  return float32(data, [m, POSE_KEYPOINTS, 3]);
}

const codeOf = (f: () => unknown): string | undefined => {
  try {
    f();
  } catch (e) {
    return e instanceof VadError ? e.code : 'not a VadError';
  }
  return undefined;
};

describe('poseFeatures', () => {
  it('returns [0, 34] for no boxes', () => {
    const out = poseFeatures(zeros([0, 17, 3]), zeros([0, 4]));
    expect(out.shape).toEqual([0, POSE_FEATURE_DIM]);
  });

  it('normalises keypoints to their box: corners → 0 and 1, centre → 0.5, x before y', () => {
    const boxes = float32([10, 20, 30, 60, 0, 0, 4, 8], [2, 4]);
    const corners: [number, number][] = [
      [10, 20],
      [30, 60],
      [20, 40],
      [15, 30],
    ];
    const kp = keypoints(2, (m, k) => (m === 0 ? corners[k % 4]! : [k % 5, 8 - (k % 9)]));
    const out = poseFeatures(kp, boxes);
    expect(out.shape).toEqual([2, 34]);
    const row0 = Array.from(out.data.subarray(0, 8));
    expect(row0).toEqual([0, 0, 1, 1, 0.5, 0.5, 0.25, 0.25]);
    for (let k = 0; k < 17; k++) {
      expect(out.data[34 + 2 * k]).toBeCloseTo((k % 5) / 4, 6);
      expect(out.data[34 + 2 * k + 1]).toBeCloseTo((8 - (k % 9)) / 8, 6);
    }
  });

  it('keeps keypoints outside the box (values outside [0, 1]) as anomalib does', () => {
    const out = poseFeatures(
      keypoints(1, () => [-10, 100]),
      float32([0, 0, 10, 50], [1, 4]),
    );
    expect(out.data[0]).toBeCloseTo(-1, 6);
    expect(out.data[1]).toBeCloseTo(2, 6);
  });

  it('divides by at least 1 px, so a zero-width or zero-height box gives no inf/NaN', () => {
    const out = poseFeatures(
      keypoints(1, () => [5.5, 7.25]),
      float32([5, 7, 5, 7], [1, 4]),
    );
    expect(Array.from(out.data).every(Number.isFinite)).toBe(true);
    expect(out.data[0]).toBeCloseTo(0.5, 6);
    expect(out.data[1]).toBeCloseTo(0.25, 6);
  });

  it('rejects mismatched or malformed inputs with bad_argument', () => {
    expect(codeOf(() => poseFeatures(zeros([2, 17, 3]), zeros([1, 4])))).toBe('bad_argument');
    expect(codeOf(() => poseFeatures(zeros([1, 16, 3]), zeros([1, 4])))).toBe('bad_argument');
    expect(codeOf(() => poseFeatures(zeros([1, 17, 3]), zeros([1, 5])))).toBe('bad_argument');
  });
});
