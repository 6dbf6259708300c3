/**
 * Density estimator timings (a program that prints numbers, never a test):
 *   nx run bench:density [-- --rows 100000 --dim 512 --queries 1000 --threads 2 --batch 250 | --gmm-only]
 * kNN: uniform random bank and queries (seeded), both ways of giving the graph the bank, against
 * the time to stream the bank once from memory. GMM: scoring and fitting at velocity sizes.
 */
import { GroupedKnnEstimator, float32, fitGmm, prepareGmm, scoreSamples } from '@vad/core';

/** mulberry32: seeded, so every run benches the same data. */
function seededRandom(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
}

const rows = arg('rows', 100_000);
const dim = arg('dim', 512);
const queryCount = arg('queries', 1000);
const threads = arg('threads', 2);
const batchSize = arg('batch', 250);

function uniform(n: number, seed: number): Float32Array {
  const random = seededRandom(seed);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) out[i] = random();
  return out;
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

/** Process CPU time of the last timeIt call per repeat (user + system, all threads), in ms. */
let lastCpuMs = 0;

async function timeIt(f: () => unknown, repeats: number): Promise<number> {
  const times: number[] = [];
  const cpu0 = process.cpuUsage();
  for (let r = 0; r < repeats; r++) {
    const t = performance.now();
    await f();
    times.push(performance.now() - t);
  }
  const cpu = process.cpuUsage(cpu0);
  lastCpuMs = (cpu.user + cpu.system) / 1000 / repeats;
  return median(times);
}

const ms = (x: number) => `${x.toFixed(1)} ms`;

async function benchKnn(): Promise<void> {
  console.log(`kNN: bank ${rows} × ${dim} float32, ${queryCount} queries, ${threads} intra-op threads, query batches of ${batchSize}`);
  const bank = float32(uniform(rows * dim, 1), [rows, dim]);
  const queries = float32(uniform(queryCount * dim, 2), [queryCount, dim]);
  const one = float32(queries.data.slice(0, dim), [1, dim]);
  const group = Int32Array.from({ length: rows }, (_, r) => r % 16);

  let sink = 0;
  const stream = await timeIt(() => {
    let s = 0;
    const d = bank.data;
    for (let i = 0; i < d.length; i++) s += d[i];
    sink += s;
  }, 5);
  console.log(`  stream the bank once (plain JS sum over the Float32Array, ${((rows * dim * 4) / 2 ** 20).toFixed(0)} MiB): ${ms(stream)} (median of 5)`);

  for (const bankAs of ['input', 'initializer'] as const) {
    const t0 = performance.now();
    const est = await GroupedKnnEstimator.create(bank, group, 1, { threads, batchSize, bankAs });
    const create = performance.now() - t0;
    await est.kNearestDistances(one); // warm-up
    const batch = await timeIt(() => est.kNearestDistances(queries), 3);
    const batchCpu = lastCpuMs;
    const single = await timeIt(() => est.kNearestDistances(one), 10);
    console.log(
      `  bank as ${bankAs.padEnd(11)} create ${ms(create)}, ${queryCount} queries ${ms(batch)} (median of 3, ${(batch / queryCount).toFixed(3)} ms/query, CPU ${ms(batchCpu)}), 1 query ${ms(single)} (median of 10, ${(single / stream).toFixed(2)}× the stream time)`,
    );
    const est3 = await GroupedKnnEstimator.create(bank, group, 3, { threads, batchSize, bankAs });
    const k3 = await timeIt(() => est3.kNearestDistances(queries), 1);
    console.log(`  bank as ${bankAs.padEnd(11)} k = 3: ${queryCount} queries ${ms(k3)} (CPU ${ms(lastCpuMs)})`);
    await est3.release();
    await est.release();
  }
  if (sink === 42) console.log('');
}

async function benchGmm(): Promise<void> {
  const d = 8;
  const k = 5;
  const fitRows = 2000;
  const random = seededRandom(3);
  // 5 overlapping blobs, so that EM has real work to do
  const bank = new Float32Array(fitRows * d);
  for (let i = 0; i < fitRows; i++) {
    const c = i % k;
    for (let j = 0; j < d; j++) bank[i * d + j] = c * ((j % 3) + 1) * 0.5 + (random() + random() + random() - 1.5) * (1 + j * 0.2);
  }
  const fitTimes: number[] = [];
  let result = fitGmm(float32(bank, [fitRows, d]), { nComponents: k, seed: 0 });
  for (let r = 0; r < 5; r++) {
    const t = performance.now();
    result = fitGmm(float32(bank, [fitRows, d]), { nComponents: k, seed: r });
    fitTimes.push(performance.now() - t);
  }
  console.log(`GMM fit: ${fitRows} × ${d}, K = ${k}: ${ms(median(fitTimes))} (median of 5; ${result.nIter} EM iterations, converged ${result.converged})`);

  const q = 10_000;
  const queries = uniform(q * d, 4).map((v) => v * 10);
  const prepared = prepareGmm(result.params);
  scoreSamples(prepared, queries, q);
  const score = await timeIt(() => scoreSamples(prepared, queries, q), 10);
  console.log(`GMM score_samples: ${q} queries, K = ${k}, D = ${d}: ${ms(score)} (median of 10; ${((score / q) * 1000).toFixed(2)} µs/query)`);
}

async function main(): Promise<void> {
  console.log(`bench-density on ${process.version}, ${require('node:os').cpus().length} CPUs (shared machine: numbers taken under whatever load it had)`);
  await benchGmm();
  if (!process.argv.includes('--gmm-only')) await benchKnn();
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
