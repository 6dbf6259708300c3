import { VadError } from '../errors';
import { openStageSession, type ProviderReport, type StageSessionOptions } from '../runtime/providers';
import { boxCountOf, expectOutputShape, imageSizeOf } from '../runtime/stage-contract';
import { type Boxes, type Float32Tensor, tensor, zeros } from '../tensor';

/**
 * Stage 3, the appearance ("deep") attribute (appearance.onnx: RoIAlign to 224×224, CLIP
 * normalisation and CLIP ViT-B/16 `encode_image`, all inside the graph). Features are not
 * L2-normalised, as in anomalib.
 */
export interface AppearanceModel {
  readonly report: ProviderReport;
  /** D, once known: from the model's output metadata, or after the first run. */
  readonly featureDim: number | undefined;
  /** features [M,D] for boxes [M,4] on image [3,H,W]. */
  run(image: Float32Tensor, boxes: Boxes): Promise<Float32Tensor>;
  release(): Promise<void>;
}

export async function createAppearanceModel(model: string | Uint8Array, options: StageSessionOptions = {}): Promise<AppearanceModel> {
  const { session, report } = await openStageSession('appearance', model, options);
  const label = session.label;
  const declared = session.outputs.find((o) => o.name === 'features')?.shape?.[1];
  let featureDim = typeof declared === 'number' && declared > 0 ? declared : undefined;

  async function features(image: Float32Tensor, boxes: Boxes, m: number, h: number, w: number): Promise<Float32Tensor> {
    const out = await session.run({ image: tensor('float32', image.data, [1, 3, h, w]), boxes }, ['features']);
    const f = out['features'];
    expectOutputShape(label, 'features', f.shape, [m, featureDim ?? -1], `the contract's features [M,D] for ${m} boxes`);
    if (featureDim === undefined) featureDim = f.shape[1];
    return tensor('float32', f.data as Float32Array, [m, f.shape[1]]);
  }

  return {
    report,
    get featureDim() {
      return featureDim;
    },
    async run(image, boxes) {
      const [h, w] = imageSizeOf(image, `${label} image`);
      const m = boxCountOf(boxes, `${label} boxes`);
      if (m > 0) return features(image, boxes, m, h, w);
      // The real CLIP graph fails on M = 0 (a Reshape of an empty tensor), so never call it
      // without boxes. Only a model that declares no D and has not run yet needs one probe
      // with a whole-image box to learn D, once.
      if (featureDim === undefined) {
        const probe = await features(image, tensor('float32', Float32Array.of(0, 0, w, h), [1, 4]), 1, h, w);
        if (probe.shape[1] === undefined) throw new VadError('onnx_contract', `${label}: could not learn the feature size D`);
      }
      return zeros([0, featureDim as number]);
    },
    release: () => session.release(),
  };
}
