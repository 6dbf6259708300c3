import type { InitializerSpec, NodeSpec } from '../../runtime/onnx-graph';

/** batch_index [M] int64 zeros from boxes [M,4] (every box is on image 0). */
export function batchIndexNodes(boxes: string, out: string): NodeSpec[] {
  return [
    { op: 'Shape', inputs: [boxes], outputs: [`${out}_bshape`] },
    { op: 'Slice', inputs: [`${out}_bshape`, 'bi_0', 'bi_1'], outputs: [`${out}_m`] },
    { op: 'ConstantOfShape', inputs: [`${out}_m`], outputs: [`${out}_f`] },
    { op: 'Cast', inputs: [`${out}_f`], outputs: [out], attrs: { to: 7 /* INT64 */ } },
  ];
}

export function batchIndexInitializers(): InitializerSpec[] {
  return [
    { name: 'bi_0', type: 'int64', dims: [1], values: [0] },
    { name: 'bi_1', type: 'int64', dims: [1], values: [1] },
  ];
}
