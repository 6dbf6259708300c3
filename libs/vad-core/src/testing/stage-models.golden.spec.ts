/** @jest-environment ./src/testing/onnx-jest-environment.js */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { compareArrays, goldenFloat32, loadGoldenCase } from '../golden/golden-case';
import { buildOnnxModel } from '../runtime/onnx-graph';
import { createOnnxSession } from '../runtime/onnx-session';
import { tensor } from '../tensor';
import { SHARED_GOLDEN_DIR } from './golden-dir';
import { buildRoiAlignModel, roiAlignAttrs } from './stage-models';

// The test appearance model puts RoIAlign inside the graph, as the real CLIP export does; these
// cases prove its attributes reproduce torchvision's roi_align(aligned=False) that anomalib calls.
const cases = readdirSync(SHARED_GOLDEN_DIR)
  .filter((f) => f.startsWith('roi_align-') && f.endsWith('.json'))
  .sort()
  .map((f) => loadGoldenCase(join(SHARED_GOLDEN_DIR, f)));

async function runRoiAlign(bytes: Uint8Array, c: (typeof cases)[number]) {
  const input = goldenFloat32(c.inputs['input'], 'input');
  const boxes = goldenFloat32(c.inputs['boxes'], 'boxes');
  const session = await createOnnxSession(bytes);
  const out = await session.run({ input: tensor('float32', input.data, [1, ...input.shape]), boxes });
  await session.release();
  return out['rois'];
}

describe('onnxruntime RoiAlign with the appearance model attributes', () => {
  it('has the shared cases to check', () => {
    expect(cases.length).toBeGreaterThan(0);
  });

  it.each(cases.map((c) => [c.file.split('/').pop(), c] as const))('%s matches torchvision', async (_name, c) => {
    const size = (c.params['output_size'] as number[])[0];
    const rois = await runRoiAlign(buildRoiAlignModel(size), c);
    const cmp = compareArrays('output', rois.data as Float32Array, rois.shape, c.expected['output'], c.tolerance);
    expect(cmp).toMatchObject({ ok: true });
  });

  it("opset 16's default half_pixel mode (aligned=True) would not match", async () => {
    const c = cases[0];
    const size = (c.params['output_size'] as number[])[0];
    const { coordinate_transformation_mode: _dropped, ...attrs } = roiAlignAttrs(size);
    const bytes = buildOnnxModel({
      name: 'roi_align_half_pixel',
      opset: 16,
      inputs: [
        { name: 'input', type: 'float32', shape: [1, 3, 'H', 'W'] },
        { name: 'boxes', type: 'float32', shape: ['M', 4] },
        { name: 'batch_index', type: 'int64', shape: ['M'] },
      ],
      outputs: [{ name: 'rois', type: 'float32', shape: ['M', 3, size, size] }],
      nodes: [{ op: 'RoiAlign', inputs: ['input', 'boxes', 'batch_index'], outputs: ['rois'], attrs }],
    });
    const input = goldenFloat32(c.inputs['input'], 'input');
    const boxes = goldenFloat32(c.inputs['boxes'], 'boxes');
    const session = await createOnnxSession(bytes);
    const out = await session.run({
      input: tensor('float32', input.data, [1, ...input.shape]),
      boxes,
      batch_index: tensor('int64', new BigInt64Array(boxes.shape[0]), [boxes.shape[0]]),
    });
    await session.release();
    const cmp = compareArrays('output', out['rois'].data as Float32Array, out['rois'].shape, c.expected['output'], c.tolerance);
    expect(cmp.ok).toBe(false);
  });
});
