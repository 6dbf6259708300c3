import { VadError } from '../errors';
import { openStageSession, type ProviderReport, type StageSessionOptions } from '../runtime/providers';
import { expectOutputShape, imageSizeOf } from '../runtime/stage-contract';
import type { DType, Float32Tensor, Tensor } from '../tensor';

/**
 * Stage 1, the object detector (regions.onnx): anomalib's Mask R-CNN, or any graph that honours
 * the regions contract. Foreground detections and post-processing are not neural and live beside it.
 */
export interface Detections {
  readonly count: number;
  /** [count * 4] xyxy pixels in the working space. */
  readonly boxes: Float32Array;
  /** [count] COCO ids (person = 1). */
  readonly labels: Int32Array;
  readonly scores: Float32Array;
}

export interface ObjectDetectorOptions extends StageSessionOptions {
  /** The config's box_score_thresh: boxes with score <= it are dropped. */
  boxScoreThresh: number;
}

export interface ObjectDetector {
  readonly report: ProviderReport;
  readonly boxScoreThresh: number;
  run(image: Float32Tensor): Promise<Detections>;
  release(): Promise<void>;
}

// masks are never read downstream (anomalib v0.7 ignores them); asking only for these three lets
// onnxruntime skip materialising N×H×W floats where the graph allows.
const OUTPUTS = ['boxes', 'labels', 'scores'] as const;

export async function createObjectDetector(model: string | Uint8Array, options: ObjectDetectorOptions): Promise<ObjectDetector> {
  const thresh = options.boxScoreThresh;
  if (!(typeof thresh === 'number' && thresh >= 0 && thresh <= 1)) {
    throw new VadError('bad_argument', `regions: boxScoreThresh must be a number in [0, 1], got ${String(thresh)}`);
  }
  const { session, report } = await openStageSession('regions', model, options);
  const label = session.label;
  return {
    report,
    boxScoreThresh: thresh,
    async run(image) {
      imageSizeOf(image, `${label} image`);
      const out = await session.run({ image }, OUTPUTS);
      return applyScoreThreshold(readDetections(label, out), thresh);
    },
    release: () => session.release(),
  };
}

function readDetections(label: string, out: Record<string, Tensor<DType>>): Detections {
  const { boxes, labels, scores } = out;
  const n = scores.shape[0] ?? -1;
  expectOutputShape(label, 'scores', scores.shape, [n], 'scores [N]');
  expectOutputShape(label, 'boxes', boxes.shape, [n, 4], 'boxes [N,4] with N = number of scores');
  expectOutputShape(label, 'labels', labels.shape, [n], 'labels [N] with N = number of scores');
  return {
    count: n,
    boxes: boxes.data as Float32Array,
    labels: labels.dtype === 'int32' ? (labels.data as Int32Array) : Int32Array.from(labels.data as BigInt64Array, Number),
    scores: scores.data as Float32Array,
  };
}

/**
 * Keeps detections with score > thresh, in order. torchvision's box_score_thresh is strict
 * (`scores > thresh`), and the pipeline applies it even when the exported graph already did.
 */
export function applyScoreThreshold(d: Detections, thresh: number): Detections {
  let kept = 0;
  for (let i = 0; i < d.count; i++) if (d.scores[i] > thresh) kept++;
  if (kept === d.count) return d;
  const boxes = new Float32Array(kept * 4);
  const labels = new Int32Array(kept);
  const scores = new Float32Array(kept);
  let k = 0;
  for (let i = 0; i < d.count; i++) {
    if (!(d.scores[i] > thresh)) continue;
    boxes.set(d.boxes.subarray(i * 4, i * 4 + 4), k * 4);
    labels[k] = d.labels[i];
    scores[k] = d.scores[i];
    k++;
  }
  return { count: kept, boxes, labels, scores };
}
