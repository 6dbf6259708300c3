import { buildOnnxModel, type GraphSpec, type InitializerSpec, type NodeSpec, type ValueSpec } from '../../runtime/onnx-graph';

export type Xyxy = readonly [number, number, number, number];

// ---------------------------------------------------------------------------------------------
// regions.onnx
// ---------------------------------------------------------------------------------------------

export interface RegionsModelOptions {
  /** Candidate boxes, integer pixel xyxy inside every image the model will see (at least 1 px). */
  boxes?: readonly Xyxy[];
  /** One COCO label per candidate (person = 1). Default: all 1. */
  labels?: readonly number[];
  /** Element type of `labels`: the contract says int64; int32 exercises the lenient reader. */
  labelsType?: 'int64' | 'int32';
  /** Add the optional `masks` [N,1,H,W] output (score × channel-mean image per box). */
  withMasks?: boolean;
  /**
   * Keep only candidates with score > this inside the graph, as real exports bake
   * box_score_thresh in (N becomes data-dependent, possibly 0). Default: none (N = K).
   */
  bakedThreshold?: number;
}

export const DEFAULT_REGION_CANDIDATES: readonly Xyxy[] = [
  [1, 1, 7, 9],
  [10, 2, 22, 14],
  [4, 12, 16, 20],
];

/**
 * Detects a fixed set of candidate boxes; score k = mean of image[:, y1:y2, x1:x2] (all channels,
 * end-exclusive integer box), so a bright object in a box gives a high score.
 */
export function regionsGraph(options: RegionsModelOptions = {}): GraphSpec {
  const candidates = options.boxes ?? DEFAULT_REGION_CANDIDATES;
  const labels = options.labels ?? candidates.map(() => 1);
  if (labels.length !== candidates.length) throw new RangeError('regionsGraph: one label per candidate box');
  const labelsType = options.labelsType ?? 'int64';
  const nodes: NodeSpec[] = [];
  const init: InitializerSpec[] = [];
  const perBox: string[] = [];
  candidates.forEach((b, k) => {
    init.push({ name: `start_${k}`, type: 'int64', dims: [2], values: [b[1], b[0]] }, { name: `end_${k}`, type: 'int64', dims: [2], values: [b[3], b[2]] });
    nodes.push(
      { op: 'Slice', inputs: ['image', `start_${k}`, `end_${k}`, 'hw_axes'], outputs: [`crop_${k}`] },
      { op: 'ReduceMean', inputs: [`crop_${k}`], outputs: [`mean_${k}`], attrs: { axes: [0, 1, 2], keepdims: 1 } },
      { op: 'Reshape', inputs: [`mean_${k}`, 'shape_1'], outputs: [`score_${k}`] },
    );
    perBox.push(`score_${k}`);
  });
  init.push(
    { name: 'hw_axes', type: 'int64', dims: [2], values: [1, 2] },
    { name: 'shape_1', type: 'int64', dims: [1], values: [1] },
    { name: 'shape_n', type: 'int64', dims: [1], values: [-1] },
    { name: 'cand_boxes', type: 'float32', dims: [candidates.length, 4], values: candidates.flat() },
    { name: 'cand_labels', type: labelsType, dims: [candidates.length], values: [...labels] },
  );
  nodes.push({ op: 'Concat', inputs: perBox, outputs: ['cand_scores'], attrs: { axis: 0 } });

  if (options.bakedThreshold === undefined) {
    nodes.push(
      { op: 'Identity', inputs: ['cand_boxes'], outputs: ['boxes'] },
      { op: 'Identity', inputs: ['cand_labels'], outputs: ['labels'] },
      { op: 'Identity', inputs: ['cand_scores'], outputs: ['scores'] },
    );
  } else {
    init.push({ name: 'thresh', type: 'float32', dims: [], values: [options.bakedThreshold] });
    nodes.push(
      { op: 'Greater', inputs: ['cand_scores', 'thresh'], outputs: ['keep_mask'] },
      { op: 'NonZero', inputs: ['keep_mask'], outputs: ['keep_nz'] },
      { op: 'Reshape', inputs: ['keep_nz', 'shape_n'], outputs: ['keep'] },
      { op: 'Gather', inputs: ['cand_boxes', 'keep'], outputs: ['boxes'], attrs: { axis: 0 } },
      { op: 'Gather', inputs: ['cand_labels', 'keep'], outputs: ['labels'], attrs: { axis: 0 } },
      { op: 'Gather', inputs: ['cand_scores', 'keep'], outputs: ['scores'], attrs: { axis: 0 } },
    );
  }
  const outputs: ValueSpec[] = [
    { name: 'boxes', type: 'float32', shape: ['N', 4] },
    { name: 'labels', type: labelsType, shape: ['N'] },
    { name: 'scores', type: 'float32', shape: ['N'] },
  ];
  if (options.withMasks) {
    init.push({ name: 'shape_n111', type: 'int64', dims: [4], values: [-1, 1, 1, 1] });
    init.push({ name: 'axis_0', type: 'int64', dims: [1], values: [0] });
    nodes.push(
      { op: 'ReduceMean', inputs: ['image'], outputs: ['grey'], attrs: { axes: [0], keepdims: 1 } },
      { op: 'Unsqueeze', inputs: ['grey', 'axis_0'], outputs: ['grey4'] },
      { op: 'Reshape', inputs: ['scores', 'shape_n111'], outputs: ['score4'] },
      { op: 'Mul', inputs: ['score4', 'grey4'], outputs: ['masks'] },
    );
    outputs.push({ name: 'masks', type: 'float32', shape: ['N', 1, 'H', 'W'] });
  }
  return {
    name: 'test_regions',
    inputs: [{ name: 'image', type: 'float32', shape: [3, 'H', 'W'] }],
    outputs,
    nodes,
    initializers: init,
  };
}

export function buildRegionsModel(options: RegionsModelOptions = {}): Uint8Array {
  return buildOnnxModel(regionsGraph(options));
}
