import { buildOnnxModel, type GraphSpec, type NodeSpec } from '../../runtime/onnx-graph';

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
