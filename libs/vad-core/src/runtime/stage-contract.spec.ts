import {
  buildAppearanceModel,
  buildFlowModel,
  buildMissingOutputModel,
  buildPoseModel,
  buildRegionsModel,
  buildStubStageModel,
  buildWrongInputNameModel,
  buildWrongRankModel,
} from '../testing/stage-models';
import type { IoSpec } from './onnx-session';
import { openStageSession } from './providers';
import { boxCountOf, imageSizeOf, STAGE_CONTRACTS, validateStage } from './stage-contract';
import { float32, zeros } from '../tensor';
import { rejection, thrown } from '../testing/vad-errors';

function io(label: string, inputs: IoSpec[], outputs: IoSpec[]) {
  return { label, inputs, outputs };
}

const regionsOut: IoSpec[] = [
  { name: 'boxes', type: 'float32', shape: ['N', 4] },
  { name: 'labels', type: 'int64', shape: ['N'] },
  { name: 'scores', type: 'float32', shape: ['N'] },
];

describe('validateStage (metadata only)', () => {
  it('accepts the regions contract without the optional masks', () => {
    expect(() => validateStage(io('regions.onnx', [{ name: 'image', type: 'float32', shape: [3, 'H', 'W'] }], regionsOut), 'regions')).not.toThrow();
  });

  it('names the missing input, what the contract wants and what the model has', () => {
    const e = thrown(() => validateStage(io('regions.onnx', [{ name: 'img', type: 'float32', shape: [3, 'height', 'width'] }], regionsOut), 'regions'));
    expect(e.code).toBe('onnx_contract');
    expect(e.message).toBe("regions.onnx: input 'image' is missing; the contract wants image [3,H,W] float32; found inputs: img [3,height,width] float32");
  });

  it('rejects a wrong rank, a wrong element type and a wrong fixed size', () => {
    const flowOut: IoSpec[] = [{ name: 'flow', type: 'float32', shape: [1, 2, 'H', 'W'] }];
    const frame2: IoSpec = { name: 'frame2', type: 'float32', shape: [1, 3, 'H', 'W'] };
    const rank = thrown(() => validateStage(io('flow.onnx', [{ name: 'frame1', type: 'float32', shape: [3, 'H', 'W'] }, frame2], flowOut), 'flow'));
    expect(rank.message).toMatch(/^flow\.onnx: input 'frame1' has rank 3 \(\[3,H,W\]\); the contract wants frame1 \[1,3,H,W\] float32$/);

    const type = thrown(() => validateStage(io('regions.onnx', [{ name: 'image', type: 'uint8', shape: [3, 'H', 'W'] }], regionsOut), 'regions'));
    expect(type.message).toContain("input 'image' has element type uint8");

    const size = thrown(() =>
      validateStage(
        io(
          'pose.onnx',
          [
            { name: 'image', type: 'float32', shape: [3, 'H', 'W'] },
            { name: 'boxes', type: 'float32', shape: ['M', 5] },
          ],
          [{ name: 'keypoints', type: 'float32', shape: ['M', 17, 3] }],
        ),
        'pose',
      ),
    );
    expect(size.message).toContain("input 'boxes' has size 5 on axis 1");
  });

  it('accepts int32 labels but not float labels', () => {
    const withLabels = (type: string) => [regionsOut[0], { name: 'labels', type, shape: ['N'] }, regionsOut[2]];
    const image: IoSpec[] = [{ name: 'image', type: 'float32', shape: [3, 'H', 'W'] }];
    expect(() => validateStage(io('r', image, withLabels('int32')), 'regions')).not.toThrow();
    expect(thrown(() => validateStage(io('r', image, withLabels('float32')), 'regions')).message).toContain(
      "output 'labels' has element type float32; the contract wants labels [N] int64 or int32",
    );
  });

  it('checks optional outputs when present, and rejects inputs nothing would feed', () => {
    const image: IoSpec[] = [{ name: 'image', type: 'float32', shape: [3, 'H', 'W'] }];
    const masks = thrown(() => validateStage(io('r', image, [...regionsOut, { name: 'masks', type: 'float32', shape: ['N', 'H', 'W'] }]), 'regions'));
    expect(masks.message).toContain("output 'masks' has rank 3");
    const extra = thrown(() => validateStage(io('r', [...image, { name: 'scale', type: 'float32', shape: [1] }], regionsOut), 'regions'));
    expect(extra.message).toContain("input 'scale' is not part of the regions contract");
  });

  it('checks fixed H and W against the working size only when they are fixed', () => {
    const flowIo = (h: number | string, w: number | string) =>
      io(
        'flow.onnx',
        [
          { name: 'frame1', type: 'float32', shape: [1, 3, h, w] },
          { name: 'frame2', type: 'float32', shape: [1, 3, h, w] },
        ],
        [{ name: 'flow', type: 'float32', shape: [1, 2, h, w] }],
      );
    expect(() => validateStage(flowIo(240, 360), 'flow', { imageSize: [240, 360] })).not.toThrow();
    expect(() => validateStage(flowIo('H', 'W'), 'flow', { imageSize: [240, 360] })).not.toThrow();
    const e = thrown(() => validateStage(flowIo(520, 960), 'flow', { imageSize: [240, 360] }));
    expect(e.message).toContain("input 'frame1' is fixed at H = 520, but the model's imageSize has H = 240");
  });

  it('treats a shape the model does not declare as unknown rank', () => {
    expect(() =>
      validateStage(
        io(
          'a',
          [
            { name: 'image', type: 'float32', shape: [] },
            { name: 'boxes', type: 'float32' },
          ],
          [{ name: 'features', type: 'float32', shape: [] }],
        ),
        'appearance',
      ),
    ).not.toThrow();
  });
});

describe('validateStage on loaded models', () => {
  it.each([
    ['regions', buildRegionsModel()],
    ['regions', buildRegionsModel({ withMasks: true, labelsType: 'int32', bakedThreshold: 0.5 })],
    ['flow', buildFlowModel()],
    ['pose', buildPoseModel()],
    ['appearance', buildAppearanceModel()],
  ] as const)('the %s test model honours its contract', async (stage, bytes) => {
    const { session } = await openStageSession(stage, bytes);
    expect(session.inputs.map((s) => s.name)).toEqual(STAGE_CONTRACTS[stage].inputs.map((c) => c.name));
    await session.release();
  });

  it.each(['regions', 'flow', 'pose', 'appearance'] as const)('%s: wrong input name, wrong rank and missing output are refused', async (stage) => {
    const c = STAGE_CONTRACTS[stage];
    const name = await rejection(openStageSession(stage, buildWrongInputNameModel(stage)));
    expect(name.code).toBe('onnx_contract');
    expect(name.message).toContain(`${stage}.onnx: input '${c.inputs[0].name}' is missing; the contract wants ${c.inputs[0].name} [`);
    const rank = await rejection(openStageSession(stage, buildWrongRankModel(stage)));
    expect(rank.code).toBe('onnx_contract');
    expect(rank.message).toContain(`input '${c.inputs[0].name}' has rank`);
    const missing = await rejection(openStageSession(stage, buildMissingOutputModel(stage)));
    expect(missing.code).toBe('onnx_contract');
    expect(missing.message).toContain(`output '${c.outputs[0].name}' is missing`);
  });

  it('refuses a model with an input the runner cannot feed', async () => {
    const e = await rejection(openStageSession('pose', buildStubStageModel('pose', { extraInput: 'threshold' })));
    expect(e.message).toContain("input 'threshold' is not part of the pose contract");
  });
});

describe('runner argument checks', () => {
  it('wants float32 [3,H,W] images and [M,4] boxes', () => {
    expect(imageSizeOf(zeros([3, 5, 7]), 'x')).toEqual([5, 7]);
    expect(thrown(() => imageSizeOf(zeros([1, 3, 5, 7]), 'x')).code).toBe('bad_argument');
    expect(boxCountOf(float32([0, 0, 1, 1], [1, 4]), 'b')).toBe(1);
    expect(thrown(() => boxCountOf(zeros([4]), 'b')).code).toBe('bad_argument');
  });
});
