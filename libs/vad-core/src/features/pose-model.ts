import { openStageSession, type ProviderReport, type StageSessionOptions } from '../runtime/providers';
import { boxCountOf, expectOutputShape, imageSizeOf } from '../runtime/stage-contract';
import { type Boxes, type Float32Tensor, tensor, zeros } from '../tensor';

/**
 * Stage 3, the keypoint network of the pose attribute (pose.onnx: Keypoint R-CNN's backbone and
 * keypoint head run on the *given* region boxes). Normalising keypoints to their box is pose.ts's job.
 */
export interface PoseModel {
  readonly report: ProviderReport;
  /** keypoints [M,17,3] (x, y, score) in image pixels for boxes [M,4] on image [3,H,W]. */
  run(image: Float32Tensor, boxes: Boxes): Promise<Float32Tensor>;
  release(): Promise<void>;
}

export async function createPoseModel(model: string | Uint8Array, options: StageSessionOptions = {}): Promise<PoseModel> {
  const { session, report } = await openStageSession('pose', model, options);
  const label = session.label;
  return {
    report,
    async run(image, boxes) {
      imageSizeOf(image, `${label} image`);
      const m = boxCountOf(boxes, `${label} boxes`);
      // The real graph still runs its backbone on M = 0 (about 1.4 s for nothing).
      if (m === 0) return zeros([0, 17, 3]);
      const out = await session.run({ image, boxes }, ['keypoints']);
      const kp = out['keypoints'];
      expectOutputShape(label, 'keypoints', kp.shape, [m, 17, 3], `the contract's keypoints [M,17,3] for ${m} boxes`);
      return tensor('float32', kp.data as Float32Array, [m, 17, 3]);
    },
    release: () => session.release(),
  };
}
