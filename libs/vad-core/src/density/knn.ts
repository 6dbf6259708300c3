import { VadError } from '../errors';
import type { ExecutionProvider, OnnxSession } from '../runtime/onnx-session';
import { openSession } from '../runtime/providers';
import { type Float32Tensor, tensor } from '../tensor';
import { KNN_GRAPH_NAMES, buildKnnGraph } from './knn-graph';

export interface KnnOptions {
  /** Intra-op threads of the distance graph. Default 1 (the server runs one session set per worker). */
  threads?: number;
  executionProvider?: ExecutionProvider;
  /** Queries per graph run: ~256 keeps the [q, N] distance block small and the GEMM efficient. */
  batchSize?: number;
  /**
   * `initializer` bakes the bank into the graph (onnxruntime pre-packs it for its GEMM, at the cost
   * of a second copy of the bank in native memory); `input` feeds the JS bank without copying it.
   */
  bankAs?: 'initializer' | 'input';
  /**
   * onnxruntime's CPU memory arena for this graph (default on, unlike the networks): the [q, N]
   * distance block of every batch is then reused instead of freshly mapped, which cost up to a
   * quarter of the CPU time in page faults at N = 100 000.
   */
  memArena?: boolean;
  /** Shown in errors: "pose", "appearance". */
  what?: string;
}

/**
 * anomalib's `GroupedKNNEstimator`: a memory bank of training features that remembers the group
 * (video) of every row. Raw score = mean Euclidean distance to the k nearest bank rows.
 *
 * Distances come from an ONNX graph (GEMM + TopK, knn-graph.ts) that ranks k + EXTRA_CANDIDATES
 * candidates; their distances are recomputed exactly in float64 ((k + extra)·D work per query) and
 * the k nearest kept, so the expanded ‖q‖²+‖b‖²−2q·b form's float32 cancellation reaches neither a
 * score nor the choice of neighbours (near-ties between rows of large norm can swap in float32).
 */
/** Candidates ranked beyond k by the float32 graph, for the exact float64 re-ranking. */
export const EXTRA_CANDIDATES = 8;

export class GroupedKnnEstimator {
  private constructor(
    readonly bank: Float32Tensor,
    readonly group: Int32Array,
    readonly k: number,
    private readonly session: OnnxSession,
    private readonly bias: Float32Array,
    private readonly feedBank: boolean,
    private readonly batchSize: number,
    readonly what: string,
    /** How many nearest rows the graph returns per query (k plus the re-ranking margin). */
    private readonly candidates: number,
  ) {}

  get rows(): number {
    return this.bank.shape[0];
  }

  get dim(): number {
    return this.bank.shape[1];
  }

  static async create(bank: Float32Tensor, group: Int32Array, k: number, options: KnnOptions = {}): Promise<GroupedKnnEstimator> {
    const what = options.what ?? 'kNN';
    checkBank(bank, group, what);
    const [n, d] = bank.shape as [number, number];
    if (!Number.isInteger(k) || k < 1 || k > n) {
      throw new VadError('bank_invalid', `${what}: k = ${k} neighbours asked of a bank of ${n} rows; k must be an integer in [1, ${n}]`);
    }
    const norms = new Float32Array(n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let j = r * d, e = j + d; j < e; j++) s += bank.data[j] * bank.data[j];
      norms[r] = s;
    }
    const bankAs = options.bankAs ?? 'input';
    const candidates = Math.min(n, k + EXTRA_CANDIDATES);
    const model = buildKnnGraph({ dim: d, rows: n, k: candidates, bank: bankAs === 'initializer' ? bank.data : undefined });
    // Through openSession, as the stage networks: 'auto' must fall back to the CPU where the CUDA
    // provider library is missing, not fail the model's load.
    const { session } = await openSession(model, `${what} kNN graph`, {
      threads: options.threads ?? 1,
      executionProvider: options.executionProvider,
      memArena: options.memArena ?? true,
    });
    return new GroupedKnnEstimator(bank, group, k, session, norms, bankAs === 'input', options.batchSize ?? 256, what, candidates);
  }

  /** Distances [Q, k] (ascending per row) from each query row to its k nearest bank rows. */
  async kNearestDistances(queries: Float32Tensor): Promise<Float64Array> {
    const q = this.checkQueries(queries);
    const out = new Float64Array(q * this.k);
    const d = this.dim;
    for (let start = 0; start < q; start += this.batchSize) {
      const rows = Math.min(this.batchSize, q - start);
      const batch = queries.data.subarray(start * d, (start + rows) * d);
      await this.nearest(batch, rows, this.bias, out, start);
    }
    return out;
  }

  /** anomalib's raw score: mean over the k nearest distances, per query row. */
  async score(queries: Float32Tensor): Promise<Float64Array> {
    return meanOverK(await this.kNearestDistances(queries), this.k);
  }

  /**
   * Leave-one-group-out distances [N, k]: every bank row against the bank without its own group
   * (anomalib's normalisation statistics: a training video must not find itself). One graph serves
   * all groups: the group's columns are masked with +Inf in the bias the GEMM adds anyway.
   */
  async leaveOneGroupOutDistances(): Promise<Float64Array> {
    const n = this.rows;
    const d = this.dim;
    const members = rowsByGroup(this.group);
    if (members.size < 2) {
      throw new VadError(
        'bank_invalid',
        `${this.what}: leave-one-group-out needs at least two videos (groups) in the bank, found ${members.size}; fit on clips from two or more training videos`,
      );
    }
    const out = new Float64Array(n * this.k);
    const masked = Float32Array.from(this.bias);
    const batch = new Float32Array(Math.min(this.batchSize, n) * d);
    const slot = new Float64Array(Math.min(this.batchSize, n) * this.k);
    for (const [g, rows] of members) {
      if (n - rows.length < this.k) {
        throw new VadError('bank_invalid', `${this.what}: without group ${g} only ${n - rows.length} bank rows remain, fewer than k = ${this.k}`);
      }
      for (const r of rows) masked[r] = Infinity;
      for (let start = 0; start < rows.length; start += this.batchSize) {
        const count = Math.min(this.batchSize, rows.length - start);
        for (let i = 0; i < count; i++) batch.set(this.bank.data.subarray(rows[start + i] * d, rows[start + i] * d + d), i * d);
        await this.nearest(batch.subarray(0, count * d), count, masked, slot, 0);
        for (let i = 0; i < count; i++) out.set(slot.subarray(i * this.k, (i + 1) * this.k), rows[start + i] * this.k);
      }
      for (const r of rows) masked[r] = this.bias[r];
    }
    return out;
  }

  async release(): Promise<void> {
    await this.session.release();
  }

  private checkQueries(queries: Float32Tensor): number {
    const d = this.dim;
    if (queries.shape.length !== 2 || queries.shape[1] !== d) {
      throw new VadError(
        'model_invalid',
        `${this.what}: features are [${queries.shape.join(', ')}] but the bank holds ${d}-d rows; the model's density was fitted with another feature network`,
      );
    }
    for (let i = 0; i < queries.data.length; i++) {
      if (!Number.isFinite(queries.data[i])) {
        throw new VadError(
          'model_invalid',
          `${this.what}: the features of region ${Math.floor(i / d)} hold ${queries.data[i]}; the feature network produced a non-finite output`,
        );
      }
    }
    return queries.shape[0];
  }

  /** Runs one batch and writes exact, sorted distances of rows [0, count) to out from row `at`. */
  private async nearest(batch: Float32Array, count: number, bias: Float32Array, out: Float64Array, at: number): Promise<void> {
    const n = this.rows;
    const d = this.dim;
    const k = this.k;
    const names = KNN_GRAPH_NAMES;
    const feeds = {
      [names.queries]: tensor('float32', batch, [count, d]),
      [names.bias]: tensor('float32', bias, [1, n]),
      ...(this.feedBank ? { [names.bank]: this.bank } : {}),
    };
    const result = await this.session.run(feeds, [names.values, names.indices]);
    const values = result[names.values].data as Float32Array;
    const indices = result[names.indices].data as BigInt64Array;
    const bank = this.bank.data;
    const c = this.candidates;
    for (let i = 0; i < count; i++) {
      const o = (at + i) * k;
      let filled = 0;
      for (let j = 0; j < c; j++) {
        // Masked rows (leave-one-group-out) rank last with +Inf: never neighbours.
        if (values[i * c + j] === Infinity) break;
        const b = Number(indices[i * c + j]) * d;
        let s = 0;
        for (let t = 0; t < d; t++) {
          const diff = batch[i * d + t] - bank[b + t];
          s += diff * diff;
        }
        const dist = Math.sqrt(s);
        if (filled === k && dist >= out[o + k - 1]) continue;
        // Insertion into the sorted row of the k nearest so far.
        let p = filled < k ? filled++ : k - 1;
        while (p > 0 && out[o + p - 1] > dist) {
          out[o + p] = out[o + p - 1];
          p--;
        }
        out[o + p] = dist;
      }
      if (filled < k) throw new VadError('internal', `${this.what}: fewer than k = ${k} unmasked bank rows reached the kNN graph`);
    }
  }
}

export function meanOverK(distances: Float64Array, k: number): Float64Array {
  const rows = distances.length / k;
  const mean = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let j = 0; j < k; j++) s += distances[r * k + j];
    mean[r] = s / k;
  }
  return mean;
}

/** Rows of each group, in bank order, keyed by group id (insertion order = first appearance). */
export function rowsByGroup(group: Int32Array): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (let r = 0; r < group.length; r++) {
    let rows = out.get(group[r]);
    if (!rows) out.set(group[r], (rows = []));
    rows.push(r);
  }
  return out;
}

function checkBank(bank: Float32Tensor, group: Int32Array, what: string): void {
  if (bank.shape.length !== 2) throw new VadError('bank_invalid', `${what} bank must be [N, D], got [${bank.shape.join(', ')}]`);
  const [n, d] = bank.shape as [number, number];
  if (n < 1 || d < 1) throw new VadError('bank_invalid', `${what} bank is empty ([${n}, ${d}]): fit on at least one clip with regions`);
  if (group.length !== n) throw new VadError('bank_invalid', `${what}: the bank has ${n} rows but ${group.length} group ids`);
  for (let i = 0; i < n * d; i++) {
    if (!Number.isFinite(bank.data[i])) {
      const row = Math.floor(i / d);
      throw new VadError('bank_invalid', `${what} bank row ${row} holds ${bank.data[i]} (column ${i % d}): remove or recompute that training feature`, {
        row,
        column: i % d,
      });
    }
  }
  for (let r = 0; r < n; r++) {
    if (group[r] < 0) throw new VadError('bank_invalid', `${what}: group id of row ${r} is ${group[r]}; group ids index the group names and must be ≥ 0`);
  }
}
