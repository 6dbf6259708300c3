/** @jest-environment ./src/testing/onnx-jest-environment.js */
import { createOnnxSession } from '../runtime/onnx-session';
import { float32, type Float32Tensor, zeros } from '../tensor';
import {
  buildMissingOutputModel,
  buildRegionsModel,
  buildWrongInputNameModel,
  buildWrongRankModel,
  DEFAULT_REGION_CANDIDATES,
  type Xyxy,
} from '../testing/stage-models';
import { applyScoreThreshold, createObjectDetector, type Detections } from './detector';
import { rejection } from '../testing/vad-errors';

const H = 24;
const W = 32;

/** A dim image (0.1) with a bright patch (0.9) over rows 3..8, columns 12..19 (inside candidate 1). */
function sceneWithObject(): Float32Tensor {
  const img = zeros([3, H, W]);
  img.data.fill(0.1);
  for (let c = 0; c < 3; c++) for (let y = 3; y < 9; y++) for (let x = 12; x < 20; x++) img.data[c * H * W + y * W + x] = 0.9;
  return img;
}

/** What the test detector scores a box: the mean of image[:, y1:y2, x1:x2]. */
function meanInside(img: Float32Tensor, [x1, y1, x2, y2]: Xyxy): number {
  let sum = 0;
  for (let c = 0; c < 3; c++) for (let y = y1; y < y2; y++) for (let x = x1; x < x2; x++) sum += img.data[c * H * W + y * W + x];
  return sum / (3 * (y2 - y1) * (x2 - x1));
}

describe('ObjectDetector', () => {
  const image = sceneWithObject();
  const expected = DEFAULT_REGION_CANDIDATES.map((b) => meanInside(image, b));

  it('returns boxes, labels and scores of the graph, above box_score_thresh only', async () => {
    // candidate 1 covers the patch (48 of 144 px bright), the others only dim pixels.
    expect(expected[1]).toBeGreaterThan(0.3);
    expect(expected[0]).toBeLessThan(0.3);
    const detector = await createObjectDetector(buildRegionsModel({ labels: [1, 3, 1] }), { boxScoreThresh: 0.3 });
    const d = await detector.run(image);
    expect(d.count).toBe(1);
    expect(Array.from(d.boxes)).toEqual([...DEFAULT_REGION_CANDIDATES[1]]);
    expect(d.labels).toBeInstanceOf(Int32Array);
    expect(Array.from(d.labels)).toEqual([3]);
    expect(d.scores[0]).toBeCloseTo(expected[1], 5);
    await detector.release();
  });

  it('keeps every detection above a low threshold, in the graph order', async () => {
    const detector = await createObjectDetector(buildRegionsModel(), { boxScoreThresh: 0.05 });
    const d = await detector.run(image);
    expect(d.count).toBe(3);
    expect(Array.from(d.boxes)).toEqual(DEFAULT_REGION_CANDIDATES.flat());
    d.scores.forEach((s, i) => expect(s).toBeCloseTo(expected[i], 5));
    await detector.release();
  });

  it('applies its own threshold even when the graph baked in a lower one', async () => {
    const bytes = buildRegionsModel({ bakedThreshold: 0.05, labelsType: 'int32', withMasks: true });
    const raw = await createOnnxSession(bytes);
    expect((await raw.run({ image }))['scores'].shape).toEqual([3]);
    await raw.release();
    const detector = await createObjectDetector(bytes, { boxScoreThresh: 0.3 });
    const d = await detector.run(image);
    expect(d.count).toBe(1);
    expect(Array.from(d.labels)).toEqual([1]);
    await detector.release();
  });

  it('handles a graph that detects nothing (N = 0)', async () => {
    const detector = await createObjectDetector(buildRegionsModel({ bakedThreshold: 0.95 }), { boxScoreThresh: 0.5 });
    const d = await detector.run(image);
    expect(d.count).toBe(0);
    expect(d.boxes.length).toBe(0);
    expect(d.labels.length).toBe(0);
    await detector.release();
  });

  it('works at any image size (dynamic H, W)', async () => {
    const detector = await createObjectDetector(buildRegionsModel({ boxes: [[0, 0, 40, 30]] }), { boxScoreThresh: 0.2 });
    const big = zeros([3, 48, 64]);
    big.data.fill(0.25);
    const d = await detector.run(big);
    expect(d.count).toBe(1);
    expect(d.scores[0]).toBeCloseTo(0.25, 6);
    await detector.release();
  });

  it('refuses non-compliant models with onnx_contract, naming the tensor', async () => {
    const opts = { boxScoreThresh: 0.5 };
    expect((await rejection(createObjectDetector(buildWrongInputNameModel('regions'), opts))).message).toContain(
      "regions.onnx: input 'image' is missing; the contract wants image [3,H,W] float32; found inputs: img",
    );
    expect((await rejection(createObjectDetector(buildWrongRankModel('regions'), opts))).code).toBe('onnx_contract');
    expect((await rejection(createObjectDetector(buildMissingOutputModel('regions'), opts))).message).toContain("output 'boxes' is missing");
  });

  it('refuses a threshold outside [0, 1] and an image that is not [3,H,W]', async () => {
    expect((await rejection(createObjectDetector(buildRegionsModel(), { boxScoreThresh: 7 }))).code).toBe('bad_argument');
    const detector = await createObjectDetector(buildRegionsModel(), { boxScoreThresh: 0.5 });
    expect((await rejection(detector.run(zeros([1, 3, H, W])))).code).toBe('bad_argument');
    await detector.release();
  });
});

describe('applyScoreThreshold', () => {
  const d: Detections = {
    count: 3,
    boxes: float32([0, 0, 1, 1, 2, 2, 3, 3, 4, 4, 5, 5], [3, 4]).data,
    labels: Int32Array.of(1, 2, 3),
    scores: Float32Array.of(0.5, 0.9, 0.7),
  };

  it('is strict (score > thresh), as torchvision', () => {
    const kept = applyScoreThreshold(d, 0.7);
    expect(kept.count).toBe(1);
    expect(Array.from(kept.boxes)).toEqual([2, 2, 3, 3]);
    expect(Array.from(kept.labels)).toEqual([2]);
  });

  it('keeps order and all fields aligned', () => {
    const kept = applyScoreThreshold(d, 0.6);
    expect(Array.from(kept.labels)).toEqual([2, 3]);
    expect(Array.from(kept.scores)).toEqual([Math.fround(0.9), Math.fround(0.7)]);
    expect(Array.from(kept.boxes)).toEqual([2, 2, 3, 3, 4, 4, 5, 5]);
  });
});
