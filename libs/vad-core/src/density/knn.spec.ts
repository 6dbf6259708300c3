/** @jest-environment ./src/testing/onnx-jest-environment.js */
import { float32 } from '../tensor';
import { GroupedKnnEstimator } from './knn';
import { seededRandom } from './random';

function randomRows(n: number, d: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  return Float32Array.from({ length: n * d }, () => random() * 4 - 2);
}

/** The k smallest Euclidean distances from row q to the bank rows `allowed` accepts, by brute force. */
function bruteForce(q: Float32Array, bank: Float32Array, d: number, k: number, allowed: (row: number) => boolean): number[] {
  const all: number[] = [];
  for (let r = 0; r < bank.length / d; r++) {
    if (!allowed(r)) continue;
    let s = 0;
    for (let j = 0; j < d; j++) s += (q[j] - bank[r * d + j]) ** 2;
    all.push(Math.sqrt(s));
  }
  return all.sort((a, b) => a - b).slice(0, k);
}

describe('GroupedKnnEstimator', () => {
  const n = 60;
  const d = 5;
  const bankData = randomRows(n, d, 1);
  const bank = float32(bankData, [n, d]);
  // interleaved, not contiguous: groups 0,1,2,0,1,2,…
  const group = Int32Array.from({ length: n }, (_, r) => r % 3);
  const queries = float32(randomRows(11, d, 2), [11, d]);

  it.each([
    [1, 'input' as const],
    [3, 'input' as const],
    [3, 'initializer' as const],
  ])('finds the k = %i nearest distances exactly (bank as %s, batches smaller than the query count)', async (k, bankAs) => {
    const est = await GroupedKnnEstimator.create(bank, group, k, { batchSize: 4, bankAs });
    try {
      const got = await est.kNearestDistances(queries);
      expect(got.length).toBe(11 * k);
      for (let i = 0; i < 11; i++) {
        const want = bruteForce(queries.data.subarray(i * d, i * d + d), bankData, d, k, () => true);
        for (let j = 0; j < k; j++) expect(got[i * k + j]).toBeCloseTo(want[j], 6);
      }
      const mean = await est.score(queries);
      const want0 = bruteForce(queries.data.subarray(0, d), bankData, d, k, () => true);
      expect(mean[0]).toBeCloseTo(want0.reduce((a, b) => a + b, 0) / k, 6);
    } finally {
      await est.release();
    }
  });

  it("opens with executionProvider 'auto' where the CUDA provider is missing (falls back to the CPU)", async () => {
    const est = await GroupedKnnEstimator.create(bank, group, 1, { executionProvider: 'auto' });
    try {
      const got = await est.kNearestDistances(queries);
      expect(got[0]).toBeCloseTo(bruteForce(queries.data.subarray(0, d), bankData, d, 1, () => true)[0]!, 6);
    } finally {
      await est.release();
    }
  });

  it('picks the true nearest rows among near-ties that float32 GEMM distances misorder', async () => {
    // Rows of norm ~60 that differ by ~0.1 (a still object in several videos): ‖q‖²+‖b‖²−2q·b in
    // float32 loses ~1e-3 of the ~1e-2 squared distances, enough to swap neighbours.
    const random = seededRandom(7);
    const dim = 64;
    const gauss = () => Math.sqrt(-2 * Math.log(random() + 1e-12)) * Math.cos(2 * Math.PI * random());
    const offset = Array.from({ length: dim }, () => gauss() * 7.5);
    const bases = Array.from({ length: 25 }, () => Array.from({ length: dim }, () => gauss()));
    const near = (b: number[]) => b.map((v, j) => offset[j]! + v + gauss() * 0.01);
    const rows = Array.from({ length: 105 }, () => near(bases[Math.floor(random() * 25)]!));
    const data = Float32Array.from(rows.flat());
    const qs = Float32Array.from(Array.from({ length: 16 }, () => near(bases[Math.floor(random() * 25)]!)).flat());
    const k = 5;
    const est = await GroupedKnnEstimator.create(
      float32(data, [105, dim]),
      Int32Array.from({ length: 105 }, (_, r) => r % 3),
      k,
    );
    try {
      const got = await est.kNearestDistances(float32(qs, [16, dim]));
      for (let i = 0; i < 16; i++) {
        const want = bruteForce(qs.subarray(i * dim, i * dim + dim), data, dim, k, () => true);
        for (let j = 0; j < k; j++) expect(got[i * k + j]).toBeCloseTo(want[j]!, 6);
      }
    } finally {
      await est.release();
    }
  });

  it('scores each bank row against the bank without its own group (leave-one-group-out)', async () => {
    const est = await GroupedKnnEstimator.create(bank, group, 2, { batchSize: 7 });
    try {
      const got = await est.leaveOneGroupOutDistances();
      for (let r = 0; r < n; r++) {
        const want = bruteForce(bankData.subarray(r * d, r * d + d), bankData, d, 2, (b) => group[b] !== group[r]);
        expect(got[r * 2]).toBeCloseTo(want[0], 6);
        expect(got[r * 2 + 1]).toBeCloseTo(want[1], 6);
        // a row never finds itself
        expect(got[r * 2]).toBeGreaterThan(0);
      }
    } finally {
      await est.release();
    }
  });

  it('returns nothing for zero queries', async () => {
    const est = await GroupedKnnEstimator.create(bank, group, 1);
    try {
      expect((await est.score(float32([], [0, d]))).length).toBe(0);
    } finally {
      await est.release();
    }
  });

  it('refuses leave-one-group-out on a single-video bank', async () => {
    const est = await GroupedKnnEstimator.create(bank, new Int32Array(n), 1, { what: 'pose' });
    try {
      await expect(est.leaveOneGroupOutDistances()).rejects.toMatchObject({ code: 'bank_invalid', message: expect.stringMatching(/at least two videos/) });
    } finally {
      await est.release();
    }
  });

  it('refuses k larger than what remains without a group', async () => {
    const g = Int32Array.from({ length: n }, (_, r) => (r < 58 ? 0 : 1));
    const est = await GroupedKnnEstimator.create(bank, g, 3);
    try {
      await expect(est.leaveOneGroupOutDistances()).rejects.toMatchObject({ code: 'bank_invalid', message: expect.stringMatching(/fewer than k = 3/) });
    } finally {
      await est.release();
    }
  });

  it('refuses a bank with NaN (naming the row), a wrong group count, and k > N', async () => {
    const bad = Float32Array.from(bankData);
    bad[7 * d + 2] = NaN;
    await expect(GroupedKnnEstimator.create(float32(bad, [n, d]), group, 1)).rejects.toMatchObject({ code: 'bank_invalid', details: { row: 7, column: 2 } });
    await expect(GroupedKnnEstimator.create(bank, group.subarray(1), 1)).rejects.toMatchObject({ code: 'bank_invalid' });
    await expect(GroupedKnnEstimator.create(bank, group, n + 1)).rejects.toMatchObject({ code: 'bank_invalid' });
  });

  it('refuses features whose width differs from the bank (model_invalid)', async () => {
    const est = await GroupedKnnEstimator.create(bank, group, 1, { what: 'appearance' });
    try {
      await expect(est.score(float32(new Float32Array(8), [2, 4]))).rejects.toMatchObject({ code: 'model_invalid', message: expect.stringMatching(/5-d/) });
    } finally {
      await est.release();
    }
  });
});
