/** @jest-environment ./src/testing/onnx-jest-environment.js */
import { createOnnxSession } from '../runtime/onnx-session';
import { float32, zeros } from '../tensor';
import { buildMissingOutputModel, buildPoseModel, buildWrongInputNameModel, buildWrongRankModel, TEST_POSE_FRACTIONS } from '../testing/stage-models';
import { createPoseModel } from './pose-model';
import { rejection } from '../testing/vad-errors';

const image = zeros([3, 20, 30]);
image.data.fill(0.2);
image.data.fill(0.8, 0, 300); // the red channel's top half brighter: mean = 0.2 + 0.6 · 300/1800 = 0.3
const boxes = float32([2, 3, 12, 19, 5.5, 1.25, 29, 9.75], [2, 4]);

describe('PoseModel', () => {
  it('returns keypoints [M,17,3] in image pixels for the given boxes', async () => {
    const pose = await createPoseModel(buildPoseModel());
    const kp = await pose.run(image, boxes);
    expect(kp.shape).toEqual([2, 17, 3]);
    for (let m = 0; m < 2; m++) {
      const [x1, y1, x2, y2] = boxes.data.subarray(4 * m, 4 * m + 4);
      for (let j = 0; j < 17; j++) {
        const [x, y, score] = kp.data.subarray((m * 17 + j) * 3, (m * 17 + j) * 3 + 3);
        // the test model places keypoint j at a known fraction of its box: the pose feature
        expect((x - x1) / (x2 - x1)).toBeCloseTo(TEST_POSE_FRACTIONS[2 * j], 5);
        expect((y - y1) / (y2 - y1)).toBeCloseTo(TEST_POSE_FRACTIONS[2 * j + 1], 5);
        expect(score).toBeCloseTo(0.3, 6);
        expect(x).toBeGreaterThanOrEqual(x1);
        expect(x).toBeLessThanOrEqual(x2);
      }
    }
    await pose.release();
  });

  it('returns [0,17,3] for M = 0 without calling the model (which would fail on it)', async () => {
    const bytes = buildPoseModel();
    const raw = await createOnnxSession(bytes);
    await expect(raw.run({ image, boxes: zeros([0, 4]) })).rejects.toMatchObject({ code: 'onnx_runtime' });
    await raw.release();

    const pose = await createPoseModel(bytes);
    const kp = await pose.run(image, zeros([0, 4]));
    expect(kp.shape).toEqual([0, 17, 3]);
    expect(kp.data.length).toBe(0);
    await pose.release();
  });

  it('refuses boxes that are not [M,4] and non-compliant models', async () => {
    const pose = await createPoseModel(buildPoseModel({ failOnEmptyBoxes: false }));
    expect((await rejection(pose.run(image, zeros([2, 5])))).code).toBe('bad_argument');
    await pose.release();
    expect((await rejection(createPoseModel(buildWrongInputNameModel('pose')))).message).toContain("pose.onnx: input 'image' is missing");
    expect((await rejection(createPoseModel(buildWrongRankModel('pose')))).message).toContain("input 'image' has rank 4");
    expect((await rejection(createPoseModel(buildMissingOutputModel('pose')))).message).toContain(
      "output 'keypoints' is missing; the contract wants keypoints [M,17,3] float32; found outputs: output0",
    );
  });
});
