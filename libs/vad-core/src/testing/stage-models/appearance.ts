import { buildOnnxModel, type GraphSpec, type NodeSpec } from '../../runtime/onnx-graph';
import { batchIndexNodes, batchIndexInitializers } from './batch-index';

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
