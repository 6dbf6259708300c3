/** @jest-environment ./src/testing/onnx-jest-environment.js */
import { AiVadModelConfigSchema } from '@vad/contracts';
import { type Float32Tensor, float32 } from '../tensor';
import { createDensityScorer } from './density-scorer';
import { type TrainingFeatures, fitDensityState } from './density-state';
import { seededRandom } from './random';

function rows(n: number, d: number, seed: number): Float32Tensor {
  const random = seededRandom(seed);
  return float32(
    Float32Array.from({ length: n * d }, () => random()),
    [n, d],
  );
}

/** min/max of the nearest distance of each row to rows of other groups, by brute force. */
function logoMinMax(bank: Float32Tensor, group: Int32Array): { min: number; max: number } {
  const [n, d] = bank.shape;
  let min = Infinity;
  let max = -Infinity;
  for (let r = 0; r < n; r++) {
    let best = Infinity;
    for (let b = 0; b < n; b++) {
      if (group[b] === group[r]) continue;
      let s = 0;
      for (let j = 0; j < d; j++) s += (bank.data[r * d + j] - bank.data[b * d + j]) ** 2;
      best = Math.min(best, Math.sqrt(s));
    }
    min = Math.min(min, best);
    max = Math.max(max, best);
  }
  return { min, max };
}

const n = 90;
const group = Int32Array.from({ length: n }, (_, r) => Math.floor(r / 30));
const training: TrainingFeatures = {
  groups: ['video01', 'video02', 'video03'],
  velocity: { features: rows(n, 2, 1), group },
  pose: { features: rows(n, 4, 2), group },
  appearance: { features: rows(n, 6, 3), group },
};
const model = AiVadModelConfigSchema.parse({ n_components_velocity: 2, n_neighbors_pose: 3 });

describe('fitDensityState', () => {
  it('fits every enabled attribute with its normalisation statistics', async () => {
    const state = await fitDensityState(training, model);
    expect(state.groups).toEqual(['video01', 'video02', 'video03']);
    expect(state.velocity?.gmm.weights.shape).toEqual([2]);
    expect(state.velocity?.bank?.shape).toEqual([n, 2]);
    const pose = logoMinMax(training.pose!.features, group);
    expect(state.pose?.norm.min).toBeCloseTo(pose.min, 6);
    expect(state.pose?.norm.max).toBeCloseTo(pose.max, 6);
    expect(Array.from(state.appearance!.group.data)).toEqual(Array.from(group));
    // anomalib v0.7 uses k = 1 whatever n_neighbors_pose says
    expect(state.pose?.k).toBe(1);
  });

  it('honours n_neighbors_* with knn_neighbors_from: config', async () => {
    const state = await fitDensityState(training, { ...model, use_velocity_features: false, use_deep_features: false, knn_neighbors_from: 'config' });
    expect(state.pose?.k).toBe(3);
    expect(state.velocity).toBeUndefined();
    expect(state.appearance).toBeUndefined();
  });

  it('is deterministic given the seed', async () => {
    const a = await fitDensityState(training, { ...model, use_pose_features: false, use_deep_features: false }, { seed: 5 });
    const b = await fitDensityState(training, { ...model, use_pose_features: false, use_deep_features: false }, { seed: 5 });
    expect(Array.from(a.velocity!.gmm.means.data)).toEqual(Array.from(b.velocity!.gmm.means.data));
    expect(a.velocity!.norm).toEqual(b.velocity!.norm);
  });

  it('refuses no attributes, missing features, bad group ids and single-video banks', async () => {
    const none = { ...model, use_velocity_features: false, use_pose_features: false, use_deep_features: false };
    await expect(fitDensityState(training, none)).rejects.toMatchObject({ code: 'no_attributes' });
    await expect(fitDensityState({ groups: training.groups, velocity: training.velocity }, model)).rejects.toMatchObject({
      code: 'bank_invalid',
      message: expect.stringMatching(/pose/),
    });
    const badGroup = { ...training, pose: { features: training.pose!.features, group: new Int32Array(n).fill(7) } };
    await expect(fitDensityState(badGroup, model)).rejects.toMatchObject({ code: 'bank_invalid' });
    const oneVideo = { ...training, groups: ['only'], pose: { features: training.pose!.features, group: new Int32Array(n) } };
    await expect(fitDensityState(oneVideo, { ...model, use_velocity_features: false, use_deep_features: false })).rejects.toMatchObject({
      code: 'bank_invalid',
      message: expect.stringMatching(/two videos/),
    });
    // Fewer velocity rows than mixture components: scikit-learn refuses, and so do we.
    const three = { groups: ['video01'], velocity: { features: rows(3, 2, 4), group: new Int32Array(3) } };
    await expect(fitDensityState(three, { ...model, n_components_velocity: 4, use_pose_features: false, use_deep_features: false })).rejects.toMatchObject({
      code: 'bank_invalid',
      message: expect.stringMatching(/3 training region\(s\) for n_components_velocity = 4/),
    });
  });
});

describe('createDensityScorer', () => {
  it('normalises the velocity bank to exactly [0, 1] and scores outliers higher', async () => {
    const state = await fitDensityState(training, model);
    const scorer = await createDensityScorer(state);
    try {
      expect(scorer.attributes).toEqual(['velocity', 'pose', 'appearance']);
      const v = await scorer.score({ velocity: training.velocity!.features }, n).catch((e) => e);
      // pose/appearance features missing for fitted attributes
      expect(v).toMatchObject({ code: 'internal' });

      const own = await createDensityScorer({ groups: state.groups, velocity: state.velocity });
      const s = await own.score({ velocity: training.velocity!.features }, n);
      expect(Math.min(...s.normalized.velocity!)).toBeCloseTo(0, 9);
      expect(Math.max(...s.normalized.velocity!)).toBeCloseTo(1, 9);
      await own.release();

      const typical = {
        velocity: float32([0.5, 0.5], [1, 2]),
        pose: float32([0.5, 0.5, 0.5, 0.5], [1, 4]),
        appearance: float32(new Float32Array(6).fill(0.5), [1, 6]),
      };
      const odd = { velocity: float32([9, -9], [1, 2]), pose: float32([9, 9, 9, 9], [1, 4]), appearance: float32(new Float32Array(6).fill(9), [1, 6]) };
      const a = await scorer.score(typical, 1);
      const b = await scorer.score(odd, 1);
      for (const attr of ['velocity', 'pose', 'appearance'] as const) expect(b.normalized[attr]![0]).toBeGreaterThan(a.normalized[attr]![0]);
      expect(b.regionScores[0]).toBeCloseTo(b.normalized.velocity![0] + b.normalized.pose![0] + b.normalized.appearance![0], 9);
      expect(b.frameScore).toBeCloseTo(b.regionScores[0], 9);
    } finally {
      await scorer.release();
    }
  });

  it('scores a frame without regions 0 without running the estimators', async () => {
    const state = await fitDensityState(training, model);
    const scorer = await createDensityScorer(state);
    try {
      const s = await scorer.score({}, 0);
      expect(s.frameScore).toBe(0);
      expect(s.regionScores.length).toBe(0);
      expect(s.normalized.pose?.length).toBe(0);
    } finally {
      await scorer.release();
    }
  });
});
