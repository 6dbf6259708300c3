/** @jest-environment ./src/testing/onnx-jest-environment.js */
import { createOnnxSession } from '../runtime/onnx-session';
import { zeros } from '../tensor';
import { buildRegionsModel, buildStubStageModel, regionsGraph, testProjection } from './stage-models';

describe('stage models for tests', () => {
  it('testProjection is deterministic, seed-dependent and in [-1, 1)', () => {
    const a = testProjection(100, 3, 4);
    expect(Array.from(a)).toEqual(Array.from(testProjection(100, 3, 4)));
    expect(Array.from(a)).not.toEqual(Array.from(testProjection(100, 3, 5)));
    expect(Math.min(...a)).toBeGreaterThanOrEqual(-1);
    expect(Math.max(...a)).toBeLessThan(1);
    expect(Math.max(...a) - Math.min(...a)).toBeGreaterThan(1.5);
  });

  it('the regions model with masks gives masks [N,1,H,W] = score × channel mean', async () => {
    const image = zeros([3, 10, 12]);
    image.data.fill(0.3, 0, 120); // red 0.3, green and blue 0: channel mean 0.1, box means 0.1
    const session = await createOnnxSession(
      buildRegionsModel({
        boxes: [
          [0, 0, 4, 4],
          [2, 2, 12, 10],
        ],
        withMasks: true,
        labelsType: 'int32',
      }),
    );
    const out = await session.run({ image });
    expect(out['masks'].shape).toEqual([2, 1, 10, 12]);
    expect(out['labels'].dtype).toBe('int32');
    expect(out['masks'].data[5]).toBeCloseTo(0.1 * 0.1, 6);
    await session.release();
  });

  it('refuses a label list that does not match the boxes', () => {
    expect(() => regionsGraph({ boxes: [[0, 0, 1, 1]], labels: [1, 2] })).toThrow(RangeError);
  });

  it('stub models load and give empty outputs of the contract rank', async () => {
    const session = await createOnnxSession(buildStubStageModel('regions', { drop: 'scores' }));
    expect(session.outputs.map((o) => o.name)).toEqual(['boxes', 'labels']);
    const out = await session.run({ image: zeros([3, 2, 2]) });
    expect(out['boxes'].shape).toEqual([0, 4]);
    expect(out['labels'].dtype).toBe('int64');
    await session.release();
  });
});
