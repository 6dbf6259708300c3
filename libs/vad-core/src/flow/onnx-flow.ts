import { VadError } from '../errors';
import { openStageSession, type ProviderReport, type StageSessionOptions } from '../runtime/providers';
import { expectOutputShape, imageSizeOf } from '../runtime/stage-contract';
import { type Float32Tensor, tensor } from '../tensor';

/**
 * Stage 2, optical flow from an ONNX graph (flow.onnx: RAFT-large in anomalib). The graph does its
 * own resizing to 520×960 and back, and its vectors stay in 960×520 pixel units as anomalib's do
 * (ai-vad-spec.md, stage 2), so the result is used as it comes.
 */
export interface OnnxFlow {
  readonly report: ProviderReport;
  /** flow [2,H,W] from `first` (t−1) to `last` (t), both float32 [3,H,W]; channel 0 = x. */
  run(first: Float32Tensor, last: Float32Tensor): Promise<Float32Tensor>;
  release(): Promise<void>;
}

export async function createOnnxFlow(model: string | Uint8Array, options: StageSessionOptions = {}): Promise<OnnxFlow> {
  const { session, report } = await openStageSession('flow', model, options);
  const label = session.label;
  return {
    report,
    async run(first, last) {
      const [h, w] = imageSizeOf(first, `${label} first frame`);
      const [h2, w2] = imageSizeOf(last, `${label} last frame`);
      if (h !== h2 || w !== w2) {
        throw new VadError('bad_argument', `${label}: the two frames differ in size ([3,${h},${w}] and [3,${h2},${w2}])`);
      }
      // [3,H,W] and [1,3,H,W] share the same row-major data: a new shape, no copy.
      const out = await session.run({ frame1: tensor('float32', first.data, [1, 3, h, w]), frame2: tensor('float32', last.data, [1, 3, h, w]) }, ['flow']);
      const flow = out['flow'];
      expectOutputShape(label, 'flow', flow.shape, [1, 2, h, w], `the contract's flow [1,2,H,W] at the input frames' size ${h}x${w}`);
      return tensor('float32', flow.data as Float32Array, [2, h, w]);
    },
    release: () => session.release(),
  };
}
