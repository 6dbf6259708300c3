import type { StageName } from '@vad/contracts';
import { buildOnnxModel, type Dim, type GraphSpec, type InitializerSpec, type NodeSpec, type OnnxElemType, type ValueSpec } from '../runtime/onnx-graph';
import { STAGE_CONTRACTS } from '../runtime/stage-contract';

/**
 * Small ONNX models that honour each stage contract (model-format.md, "ONNX stage contracts"), so
 * the pipeline, server and packer tests exercise the real ONNX paths without 730 MB of networks.
 * Each output depends on the inputs in a way a test can recompute in a few lines of JS; the
 * formulas are in each builder's comment. All H, W (and N, M) axes are dynamic.
 */

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

// ---------------------------------------------------------------------------------------------
// flow.onnx
// ---------------------------------------------------------------------------------------------

export interface FlowModelOptions {
  /** flow[0] = diffScale · mean over RGB of (frame2 − frame1). Default 10. */
  diffScale?: number;
  /** flow[1] = meanScale · mean over RGB of frame1 + offset. Defaults 0.5, 0.25. */
  meanScale?: number;
  offset?: number;
  /** Drop the first output column: a broken model whose flow is [1,2,H,W−1]. */
  cropOneColumn?: boolean;
  /** Declare fixed [H, W] instead of dynamic axes (as an export at a fixed size does). */
  fixedSize?: readonly [number, number];
}

/** flow [1,2,H,W]: channel 0 = diffScale·mean_c(frame2 − frame1), channel 1 = meanScale·mean_c(frame1) + offset. */
export function flowGraph(options: FlowModelOptions = {}): GraphSpec {
  const nodes: NodeSpec[] = [
    { op: 'Sub', inputs: ['frame2', 'frame1'], outputs: ['diff'] },
    { op: 'ReduceMean', inputs: ['diff'], outputs: ['diff_mean'], attrs: { axes: [1], keepdims: 1 } },
    { op: 'Mul', inputs: ['diff_mean', 'diff_scale'], outputs: ['u'] },
    { op: 'ReduceMean', inputs: ['frame1'], outputs: ['first_mean'], attrs: { axes: [1], keepdims: 1 } },
    { op: 'Mul', inputs: ['first_mean', 'mean_scale'], outputs: ['v_scaled'] },
    { op: 'Add', inputs: ['v_scaled', 'offset'], outputs: ['v'] },
    { op: 'Concat', inputs: ['u', 'v'], outputs: [options.cropOneColumn ? 'flow_full' : 'flow'], attrs: { axis: 1 } },
  ];
  const initializers: InitializerSpec[] = [
    { name: 'diff_scale', type: 'float32', dims: [], values: [options.diffScale ?? 10] },
    { name: 'mean_scale', type: 'float32', dims: [], values: [options.meanScale ?? 0.5] },
    { name: 'offset', type: 'float32', dims: [], values: [options.offset ?? 0.25] },
  ];
  if (options.cropOneColumn) {
    initializers.push(
      { name: 'crop_start', type: 'int64', dims: [1], values: [1] },
      { name: 'crop_end', type: 'int64', dims: [1], values: [2 ** 31 - 1] },
      { name: 'crop_axis', type: 'int64', dims: [1], values: [3] },
    );
    nodes.push({ op: 'Slice', inputs: ['flow_full', 'crop_start', 'crop_end', 'crop_axis'], outputs: ['flow'] });
  }
  const [h, w]: readonly Dim[] = options.fixedSize ?? ['H', 'W'];
  return {
    name: 'test_flow',
    inputs: [
      { name: 'frame1', type: 'float32', shape: [1, 3, h, w] },
      { name: 'frame2', type: 'float32', shape: [1, 3, h, w] },
    ],
    outputs: [{ name: 'flow', type: 'float32', shape: [1, 2, h, options.cropOneColumn ? 'W1' : w] }],
    nodes,
    initializers,
  };
}

export function buildFlowModel(options: FlowModelOptions = {}): Uint8Array {
  return buildOnnxModel(flowGraph(options));
}

// ---------------------------------------------------------------------------------------------
// pose.onnx
// ---------------------------------------------------------------------------------------------

/**
 * Where the test pose model puts keypoint j inside its box, as fractions (fx_j, fy_j) of the box
 * size: [17 * 2]. The pose features of a box are then exactly these fractions.
 */
export const TEST_POSE_FRACTIONS: Float32Array = (() => {
  const f = new Float32Array(17 * 2);
  for (let j = 0; j < 17; j++) {
    f[2 * j] = (((j * 7) % 17) + 0.5) / 17;
    f[2 * j + 1] = (j + 0.5) / 17;
  }
  return f;
})();

export interface PoseModelOptions {
  /**
   * Reshape through [0,17,−1] as the real CLIP graph does, so M = 0 makes the model fail: proves a
   * runner never calls it without boxes. Default true.
   */
  failOnEmptyBoxes?: boolean;
}

/** keypoints [M,17,3]: (x1 + fx_j·(x2−x1), y1 + fy_j·(y2−y1), mean of the whole image). */
export function poseGraph(options: PoseModelOptions = {}): GraphSpec {
  const failOnEmpty = options.failOnEmptyBoxes ?? true;
  const nodes: NodeSpec[] = [
    { op: 'Slice', inputs: ['boxes', 'i0', 'i2', 'i1'], outputs: ['lo'] },
    { op: 'Slice', inputs: ['boxes', 'i2', 'i4', 'i1'], outputs: ['hi'] },
    { op: 'Sub', inputs: ['hi', 'lo'], outputs: ['size'] },
    { op: 'Unsqueeze', inputs: ['lo', 'i1'], outputs: ['lo3'] },
    { op: 'Unsqueeze', inputs: ['size', 'i1'], outputs: ['size3'] },
    { op: 'Mul', inputs: ['size3', 'fractions'], outputs: ['offset'] },
    { op: 'Add', inputs: ['lo3', 'offset'], outputs: ['xy'] },
    { op: 'ReduceMean', inputs: ['image'], outputs: ['brightness'], attrs: { axes: [0, 1, 2], keepdims: 0 } },
    { op: 'Slice', inputs: ['xy', 'i0', 'i1', 'i2'], outputs: ['x_only'] },
    { op: 'Mul', inputs: ['x_only', 'zero'], outputs: ['zeros'] },
    { op: 'Add', inputs: ['zeros', 'brightness'], outputs: ['kp_score'] },
    { op: 'Concat', inputs: ['xy', 'kp_score'], outputs: [failOnEmpty ? 'kp' : 'keypoints'], attrs: { axis: 2 } },
  ];
  if (failOnEmpty) nodes.push({ op: 'Reshape', inputs: ['kp', 'shape_0_17_n'], outputs: ['keypoints'] });
  return {
    name: 'test_pose',
    inputs: [
      { name: 'image', type: 'float32', shape: [3, 'H', 'W'] },
      { name: 'boxes', type: 'float32', shape: ['M', 4] },
    ],
    outputs: [{ name: 'keypoints', type: 'float32', shape: ['M', 17, 3] }],
    nodes,
    initializers: [
      { name: 'i0', type: 'int64', dims: [1], values: [0] },
      { name: 'i1', type: 'int64', dims: [1], values: [1] },
      { name: 'i2', type: 'int64', dims: [1], values: [2] },
      { name: 'i4', type: 'int64', dims: [1], values: [4] },
      { name: 'zero', type: 'float32', dims: [], values: [0] },
      { name: 'fractions', type: 'float32', dims: [1, 17, 2], values: TEST_POSE_FRACTIONS },
      { name: 'shape_0_17_n', type: 'int64', dims: [3], values: [0, 17, -1] },
    ],
  };
}

export function buildPoseModel(options: PoseModelOptions = {}): Uint8Array {
  return buildOnnxModel(poseGraph(options));
}

// ---------------------------------------------------------------------------------------------
// appearance.onnx
// ---------------------------------------------------------------------------------------------

export interface AppearanceModelOptions {
  /** RoIAlign output size s (s × s per box). Default 4. */
  roiSize?: number;
  /** Feature size D. Default 8. */
  featureDim?: number;
  /** Seed of the [3·s·s, D] projection (see testProjection). Default 1. */
  seed?: number;
  /**
   * Hide D from the model's metadata (a Reshape to the runtime shape defeats onnxruntime's shape
   * inference), so a runner has to learn it from a run.
   */
  hideFeatureDim?: boolean;
}

/** Deterministic uniform [−1, 1) values (mulberry32): the appearance model's projection weight. */
export function testProjection(rows: number, cols: number, seed = 1): Float32Array {
  let a = seed >>> 0;
  const out = new Float32Array(rows * cols);
  for (let i = 0; i < out.length; i++) {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  }
  return out;
}

/** The RoiAlign attributes of anomalib's deep extractor (torchvision aligned=False, adaptive sampling). */
export function roiAlignAttrs(size: number): NonNullable<NodeSpec['attrs']> {
  return {
    mode: 'avg',
    output_height: size,
    output_width: size,
    sampling_ratio: 0,
    spatial_scale: { float: 1 },
    // Opset 16 defaults to half_pixel (= aligned=True), which silently shifts every sample by half
    // a pixel (exporter-notes.md, "RoiAlign at opset >= 16"); output_half_pixel is aligned=False.
    coordinate_transformation_mode: 'output_half_pixel',
  };
}

/**
 * features [M,D] = flatten(RoiAlign(image, boxes, s×s)) · W, W = testProjection(3·s·s, D, seed).
 * Mirrors the real CLIP graph's structure (RoIAlign inside the graph) and, like it, fails at M = 0
 * (Reshape [0,−1] of an empty tensor).
 */
export function appearanceGraph(options: AppearanceModelOptions = {}): GraphSpec {
  const s = options.roiSize ?? 4;
  const d = options.featureDim ?? 8;
  const hide = options.hideFeatureDim ?? false;
  return {
    name: 'test_appearance',
    opset: 16,
    inputs: [
      { name: 'image', type: 'float32', shape: [1, 3, 'H', 'W'] },
      { name: 'boxes', type: 'float32', shape: ['M', 4] },
    ],
    outputs: [{ name: 'features', type: 'float32', shape: ['M', hide ? 'D' : d] }],
    nodes: [
      ...batchIndexNodes('boxes', 'batch_index'),
      { op: 'RoiAlign', inputs: ['image', 'boxes', 'batch_index'], outputs: ['rois'], attrs: roiAlignAttrs(s) },
      { op: 'Reshape', inputs: ['rois', 'shape_0_n'], outputs: ['flat'] },
      { op: 'MatMul', inputs: ['flat', 'projection'], outputs: [hide ? 'projected' : 'features'] },
      ...(hide
        ? [
            { op: 'Shape', inputs: ['projected'], outputs: ['projected_shape'] },
            { op: 'Reshape', inputs: ['projected', 'projected_shape'], outputs: ['features'] },
          ]
        : []),
    ],
    initializers: [
      ...batchIndexInitializers(),
      { name: 'shape_0_n', type: 'int64', dims: [2], values: [0, -1] },
      { name: 'projection', type: 'float32', dims: [3 * s * s, d], values: testProjection(3 * s * s, d, options.seed ?? 1) },
    ],
  };
}

export function buildAppearanceModel(options: AppearanceModelOptions = {}): Uint8Array {
  return buildOnnxModel(appearanceGraph(options));
}

/**
 * A bare RoiAlign graph with the appearance model's settings: input [1,C,H,W], boxes [M,4] →
 * rois [M,C,s,s]. Checks ORT's RoiAlign against torchvision's golden vectors.
 */
export function buildRoiAlignModel(size: number, channels = 3): Uint8Array {
  return buildOnnxModel({
    name: 'test_roi_align',
    opset: 16,
    inputs: [
      { name: 'input', type: 'float32', shape: [1, channels, 'H', 'W'] },
      { name: 'boxes', type: 'float32', shape: ['M', 4] },
    ],
    outputs: [{ name: 'rois', type: 'float32', shape: ['M', channels, size, size] }],
    nodes: [
      ...batchIndexNodes('boxes', 'batch_index'),
      { op: 'RoiAlign', inputs: ['input', 'boxes', 'batch_index'], outputs: ['rois'], attrs: roiAlignAttrs(size) },
    ],
    initializers: batchIndexInitializers(),
  });
}

/** batch_index [M] int64 zeros from boxes [M,4] (every box is on image 0). */
function batchIndexNodes(boxes: string, out: string): NodeSpec[] {
  return [
    { op: 'Shape', inputs: [boxes], outputs: [`${out}_bshape`] },
    { op: 'Slice', inputs: [`${out}_bshape`, 'bi_0', 'bi_1'], outputs: [`${out}_m`] },
    { op: 'ConstantOfShape', inputs: [`${out}_m`], outputs: [`${out}_f`] },
    { op: 'Cast', inputs: [`${out}_f`], outputs: [out], attrs: { to: 7 /* INT64 */ } },
  ];
}

function batchIndexInitializers(): InitializerSpec[] {
  return [
    { name: 'bi_0', type: 'int64', dims: [1], values: [0] },
    { name: 'bi_1', type: 'int64', dims: [1], values: [1] },
  ];
}

// ---------------------------------------------------------------------------------------------
// Broken models, for the contract checks
// ---------------------------------------------------------------------------------------------

export interface StubFaults {
  /** Rename an input or output: [contract name, name in the model]. */
  rename?: readonly [string, string];
  /** Give an input or output this shape instead of the contract's. */
  reshape?: { name: string; shape: readonly Dim[] };
  /** Give an input or output this element type. */
  retype?: { name: string; type: OnnxElemType };
  /** Leave this output out (a graph needs at least one output left). */
  drop?: string;
  /** Add an extra input the runner does not feed. */
  extraInput?: string;
}

/**
 * A model with a stage's inputs and outputs (as the contract says, unless a fault changes them)
 * whose outputs are constant empty tensors: it loads, so the contract check is what rejects it.
 */
export function buildStubStageModel(stage: StageName, faults: StubFaults = {}): Uint8Array {
  const contract = STAGE_CONTRACTS[stage];
  const value = (t: { name: string; types: readonly string[]; dims: readonly Dim[] }): ValueSpec => {
    const name = faults.rename?.[0] === t.name ? faults.rename[1] : t.name;
    const shape = faults.reshape?.name === t.name ? faults.reshape.shape : t.dims;
    const type = faults.retype?.name === t.name ? faults.retype.type : (t.types[0] as OnnxElemType);
    return { name, shape, type };
  };
  const inputs = contract.inputs.map(value);
  if (faults.extraInput) inputs.push({ name: faults.extraInput, type: 'float32', shape: [1] });
  const outputs = contract.outputs.filter((o) => !o.optional && o.name !== faults.drop).map(value);
  const nodes: NodeSpec[] = [];
  const initializers: InitializerSpec[] = [];
  outputs.forEach((o, k) => {
    // Every dynamic axis is 0 and fixed axes keep their size, so the declared rank holds.
    const dims = o.shape.map((d) => (typeof d === 'number' ? d : 0));
    initializers.push({ name: `stub_shape_${k}`, type: 'int64', dims: [dims.length], values: dims });
    nodes.push({ op: 'ConstantOfShape', inputs: [`stub_shape_${k}`], outputs: [`stub_${k}`] });
    nodes.push({ op: 'Cast', inputs: [`stub_${k}`], outputs: [o.name], attrs: { to: ONNX_TYPE_CODE[o.type] } });
  });
  return buildOnnxModel({ name: `stub_${stage}`, inputs, outputs, nodes, initializers });
}

const ONNX_TYPE_CODE: Record<OnnxElemType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };

/** The three broken models every runner must reject, by stage. */
export function buildWrongInputNameModel(stage: StageName): Uint8Array {
  const first = STAGE_CONTRACTS[stage].inputs[0].name;
  return buildStubStageModel(stage, { rename: [first, first === 'image' ? 'img' : `${first}_x`] });
}

export function buildWrongRankModel(stage: StageName): Uint8Array {
  const first = STAGE_CONTRACTS[stage].inputs[0];
  // [3,H,W] ↔ [1,3,H,W]: the mistake an exporter makes most easily.
  const shape = first.dims.length === 4 ? first.dims.slice(1) : [1, ...first.dims];
  return buildStubStageModel(stage, { reshape: { name: first.name, shape } });
}

/** The stage's first output under the name torch.onnx.export gives when output_names is left out. */
export function buildMissingOutputModel(stage: StageName): Uint8Array {
  return buildStubStageModel(stage, { rename: [STAGE_CONTRACTS[stage].outputs[0].name, 'output0'] });
}
