import { type GraphSpec, buildOnnxModel } from '../runtime/onnx-graph';

/**
 * The ONNX graph behind the grouped kNN: exact L2 k-nearest neighbours as one GEMM plus TopK, the
 * cheapest exact path on CPU (toolchain-notes §4: ~10× faster than usearch for query batches).
 *
 *   partial = −2·queries·bankᵀ + bias          Gemm, bias [1, N] = ‖b‖² (precomputed once)
 *   values, indices = TopK(partial, k, smallest)
 *
 * ‖q‖² is left out: it is constant per row, so it cannot change the order, and the caller
 * recomputes the k winners' distances exactly anyway. `bias` is an input rather than an initializer
 * so that leave-one-group-out can mask a group's columns with +Inf (Gemm adds C anyway: no extra
 * pass over the [q, N] matrix, no copy of the bank per group).
 */
export const KNN_GRAPH_NAMES = {
  queries: 'queries',
  bank: 'bank',
  bias: 'bias',
  values: 'partial_sq_distances',
  indices: 'indices',
} as const;

export interface KnnGraphSpec {
  /** Feature dimension D. */
  dim: number;
  /** Bank rows N. */
  rows: number;
  /** Neighbours returned per query (≤ rows). */
  k: number;
  /** The bank [N, D] baked in as an initializer; when absent the graph takes `bank` as an input. */
  bank?: Float32Array;
}

export function buildKnnGraph(spec: KnnGraphSpec): Uint8Array {
  const { dim, rows, k } = spec;
  const n = KNN_GRAPH_NAMES;
  const graph: GraphSpec = {
    name: 'vad_grouped_knn',
    inputs: [
      { name: n.queries, type: 'float32', shape: ['q', dim] },
      ...(spec.bank ? [] : [{ name: n.bank, type: 'float32' as const, shape: [rows, dim] }]),
      { name: n.bias, type: 'float32', shape: [1, rows] },
    ],
    outputs: [
      { name: n.values, type: 'float32', shape: ['q', k] },
      { name: n.indices, type: 'int64', shape: ['q', k] },
    ],
    initializers: [
      { name: 'k', type: 'int64', dims: [1], values: [k] },
      ...(spec.bank ? [{ name: n.bank, type: 'float32' as const, dims: [rows, dim], values: spec.bank }] : []),
    ],
    nodes: [
      { op: 'Gemm', inputs: [n.queries, n.bank, n.bias], outputs: ['partial'], attrs: { alpha: { float: -2 }, beta: { float: 1 }, transB: 1 } },
      { op: 'TopK', inputs: ['partial', 'k'], outputs: [n.values, n.indices], attrs: { axis: 1, largest: 0, sorted: 1 } },
    ],
  };
  return buildOnnxModel(graph);
}
