/** @jest-environment ./src/testing/onnx-jest-environment.js */
import { createOnnxSession } from '../runtime/onnx-session';
import { float32, type Float32Tensor, zeros } from '../tensor';
import { buildAppearanceModel, buildMissingOutputModel, buildWrongInputNameModel, buildWrongRankModel, testProjection } from '../testing/stage-models';
import { createAppearanceModel } from './appearance';
import { rejection } from '../testing/vad-errors';

/** torchvision roi_align, aligned=False, spatial_scale 1, adaptive sampling: written from its C++ source. */
function roiAlignReference(img: Float32Tensor, box: ArrayLike<number>, s: number): Float32Array {
  const [c, h, w] = img.shape;
  const out = new Float32Array(c * s * s);
  const [x1, y1, x2, y2] = [box[0], box[1], box[2], box[3]];
  const rw = Math.max(x2 - x1, 1);
  const rh = Math.max(y2 - y1, 1);
  const bw = rw / s;
  const bh = rh / s;
  const gw = Math.ceil(rw / s);
  const gh = Math.ceil(rh / s);
  const at = (ch: number, yy: number, xx: number) => img.data[ch * h * w + yy * w + xx];
  const bilinear = (ch: number, y: number, x: number) => {
    if (y < -1 || y > h || x < -1 || x > w) return 0;
    y = Math.max(y, 0);
    x = Math.max(x, 0);
    let yl = Math.floor(y);
    let xl = Math.floor(x);
    let yh = yl + 1;
    let xh = xl + 1;
    if (yl >= h - 1) ((yh = yl = h - 1), (y = yl));
    if (xl >= w - 1) ((xh = xl = w - 1), (x = xl));
    const ly = y - yl;
    const lx = x - xl;
    return (1 - ly) * (1 - lx) * at(ch, yl, xl) + (1 - ly) * lx * at(ch, yl, xh) + ly * (1 - lx) * at(ch, yh, xl) + ly * lx * at(ch, yh, xh);
  };
  for (let ch = 0; ch < c; ch++)
    for (let py = 0; py < s; py++)
      for (let px = 0; px < s; px++) {
        let sum = 0;
        for (let iy = 0; iy < gh; iy++)
          for (let ix = 0; ix < gw; ix++) sum += bilinear(ch, y1 + py * bh + ((iy + 0.5) * bh) / gh, x1 + px * bw + ((ix + 0.5) * bw) / gw);
        out[(ch * s + py) * s + px] = sum / (gh * gw);
      }
  return out;
}

const H = 18;
const W = 26;
const image = float32(
  testProjection(3 * H * W, 1, 11).map((v) => (v + 1) / 2),
  [3, H, W],
);
const boxes = float32([1, 2, 9, 14, 3.5, 0.5, 25.5, 17, 10, 10, 10.4, 10.2], [3, 4]);

describe('AppearanceModel', () => {
  it('returns features [M,D] = flatten(RoIAlign) · W, checked against torchvision semantics in JS', async () => {
    const appearance = await createAppearanceModel(buildAppearanceModel({ roiSize: 4, featureDim: 8, seed: 5 }));
    expect(appearance.featureDim).toBe(8);
    const got = await appearance.run(image, boxes);
    expect(got.shape).toEqual([3, 8]);
    const weight = testProjection(48, 8, 5);
    for (let m = 0; m < 3; m++) {
      const roi = roiAlignReference(image, boxes.data.subarray(4 * m, 4 * m + 4), 4);
      for (let d = 0; d < 8; d++) {
        let want = 0;
        for (let k = 0; k < 48; k++) want += roi[k] * weight[k * 8 + d];
        expect(Math.abs(got.data[m * 8 + d] - want)).toBeLessThan(1e-4);
      }
    }
    await appearance.release();
  });

  it('returns [0,D] for M = 0 without calling the model (the real CLIP graph fails on M = 0, so does this one)', async () => {
    const bytes = buildAppearanceModel();
    const raw = await createOnnxSession(bytes);
    await expect(raw.run({ image: { ...image, shape: [1, 3, H, W] }, boxes: zeros([0, 4]) })).rejects.toMatchObject({ code: 'onnx_runtime' });
    await raw.release();

    const appearance = await createAppearanceModel(bytes);
    const got = await appearance.run(image, zeros([0, 4]));
    expect(got.shape).toEqual([0, 8]);
    await appearance.release();
  });

  it('learns D from the first run when the model does not declare it', async () => {
    const appearance = await createAppearanceModel(buildAppearanceModel({ featureDim: 6, hideFeatureDim: true }));
    expect(appearance.featureDim).toBeUndefined();
    expect((await appearance.run(image, zeros([0, 4]))).shape).toEqual([0, 6]);
    expect(appearance.featureDim).toBe(6);
    expect((await appearance.run(image, boxes)).shape).toEqual([3, 6]);
    await appearance.release();
  });

  it('refuses non-compliant models with onnx_contract', async () => {
    expect((await rejection(createAppearanceModel(buildWrongInputNameModel('appearance')))).message).toContain(
      "appearance.onnx: input 'image' is missing; the contract wants image [1,3,H,W] float32; found inputs: img [1,3,H,W] float32, boxes [M,4] float32",
    );
    expect((await rejection(createAppearanceModel(buildWrongRankModel('appearance')))).message).toContain("input 'image' has rank 3");
    expect((await rejection(createAppearanceModel(buildMissingOutputModel('appearance')))).code).toBe('onnx_contract');
  });
});
