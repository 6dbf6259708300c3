/** @jest-environment ./src/testing/onnx-jest-environment.js */
import { float32, type Float32Tensor } from '../tensor';
import { buildFlowModel, buildMissingOutputModel, buildWrongInputNameModel, buildWrongRankModel, testProjection } from '../testing/stage-models';
import { createOnnxFlow } from './onnx-flow';
import { rejection } from '../testing/vad-errors';

function randomImage(h: number, w: number, seed: number): Float32Tensor {
  return float32(
    testProjection(3 * h * w, 1, seed).map((v) => (v + 1) / 2),
    [3, h, w],
  );
}

/** The test flow model's formula, computed directly: u = 10·mean_c(last − first), v = 0.5·mean_c(first) + 0.25. */
function expectedFlow(first: Float32Tensor, last: Float32Tensor): Float32Array {
  const [, h, w] = first.shape;
  const hw = h * w;
  const out = new Float32Array(2 * hw);
  for (let p = 0; p < hw; p++) {
    let d = 0;
    let m = 0;
    for (let c = 0; c < 3; c++) {
      d += last.data[c * hw + p] - first.data[c * hw + p];
      m += first.data[c * hw + p];
    }
    out[p] = (10 * d) / 3;
    out[hw + p] = (0.5 * m) / 3 + 0.25;
  }
  return out;
}

describe('OnnxFlow', () => {
  it('feeds frame1 = first, frame2 = last and returns flow [2,H,W]', async () => {
    const flow = await createOnnxFlow(buildFlowModel(), { threads: 1 });
    expect(flow.report.provider).toBe('cpu');
    const first = randomImage(12, 20, 3);
    const last = randomImage(12, 20, 4);
    const got = await flow.run(first, last);
    expect(got.shape).toEqual([2, 12, 20]);
    const want = expectedFlow(first, last);
    let maxDiff = 0;
    for (let i = 0; i < want.length; i++) maxDiff = Math.max(maxDiff, Math.abs(got.data[i] - want[i]));
    expect(maxDiff).toBeLessThan(1e-5);
    // swapping the frames flips u, so the order of the feeds is really checked
    const swapped = await flow.run(last, first);
    expect(swapped.data[0]).toBeCloseTo(-got.data[0], 5);
    await flow.release();
  });

  it('runs at two sizes with one session (dynamic H, W)', async () => {
    const flow = await createOnnxFlow(buildFlowModel());
    for (const [h, w] of [
      [8, 8],
      [30, 18],
    ]) {
      const first = randomImage(h, w, h);
      const got = await flow.run(first, first);
      expect(got.shape).toEqual([2, h, w]);
      expect(got.data[0]).toBeCloseTo(0, 6);
    }
    await flow.release();
  });

  it("says onnx_contract when the flow does not come back at the frames' size", async () => {
    const flow = await createOnnxFlow(buildFlowModel({ cropOneColumn: true }));
    const img = randomImage(6, 10, 1);
    const e = await rejection(flow.run(img, img));
    expect(e.code).toBe('onnx_contract');
    expect(e.message).toBe("flow.onnx: output 'flow' came back [1,2,6,9], expected [1,2,6,10] (the contract's flow [1,2,H,W] at the input frames' size 6x10)");
    await flow.release();
  });

  it('refuses frames of different sizes', async () => {
    const flow = await createOnnxFlow(buildFlowModel());
    expect((await rejection(flow.run(randomImage(6, 10, 1), randomImage(6, 11, 1)))).code).toBe('bad_argument');
    await flow.release();
  });

  it('refuses non-compliant models with onnx_contract', async () => {
    const name = await rejection(createOnnxFlow(buildWrongInputNameModel('flow')));
    expect(name.message).toContain("flow.onnx: input 'frame1' is missing; the contract wants frame1 [1,3,H,W] float32; found inputs: frame1_x");
    expect((await rejection(createOnnxFlow(buildWrongRankModel('flow')))).message).toContain("input 'frame1' has rank 3");
    expect((await rejection(createOnnxFlow(buildMissingOutputModel('flow')))).message).toContain("output 'flow' is missing");
  });

  it('refuses a model fixed at another size when the working size is known', async () => {
    // An export traced at 520x960 without dynamic axes cannot take the 240x360 working frames.
    const fixed = buildFlowModel({ fixedSize: [52, 96] });
    const e = await rejection(createOnnxFlow(fixed, { imageSize: [24, 36] }));
    expect(e.code).toBe('onnx_contract');
    expect(e.message).toContain("input 'frame1' is fixed at H = 52, but the model's imageSize has H = 24");
    const ok = await createOnnxFlow(fixed, { imageSize: [52, 96] });
    expect((await ok.run(randomImage(52, 96, 2), randomImage(52, 96, 3))).shape).toEqual([2, 52, 96]);
    await ok.release();
  });
});
