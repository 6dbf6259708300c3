import { buildOnnxModel, type Dim, type GraphSpec, type InitializerSpec, type NodeSpec } from '../../runtime/onnx-graph';

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
