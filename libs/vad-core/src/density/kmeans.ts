import { type Random, randomIndex } from './random';

/**
 * k-means as scikit-learn runs it to initialise a GaussianMixture (init_params='kmeans'):
 * k-means++ seeding, Lloyd iterations, and the inertia that picks the best of several inits.
 * The EM that follows lives in gmm-fit.ts.
 */
function sqDist(x: Float64Array, a: number, c: Float64Array, b: number, d: number): number {
  let s = 0;
  for (let j = 0; j < d; j++) {
    const t = x[a + j] - c[b + j];
    s += t * t;
  }
  return s;
}

/** First index i with cumsum[i] ≥ v (numpy `searchsorted`, side 'left'), clipped to n − 1. */
function searchSorted(cumsum: Float64Array, v: number): number {
  let lo = 0;
  let hi = cumsum.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cumsum[mid] < v) lo = mid + 1;
    else hi = mid;
  }
  return Math.min(lo, cumsum.length - 1);
}

/**
 * Greedy k-means++ seeding as scikit-learn's `_kmeans_plusplus` (2 + ⌊ln K⌋ local trials per
 * centre). Stops early when every row already coincides with a centre (fewer distinct rows than K).
 */
export function kmeansPlusPlus(x: Float64Array, n: number, d: number, k: number, random: Random): Float64Array {
  const centers: number[] = [randomIndex(random, n)];
  const closest = new Float64Array(n);
  let potential = 0;
  for (let i = 0; i < n; i++) potential += closest[i] = sqDist(x, i * d, x, centers[0] * d, d);
  const trials = 2 + Math.floor(Math.log(k));
  const cumsum = new Float64Array(n);
  const candidateDist = new Float64Array(n);
  const bestDist = new Float64Array(n);
  while (centers.length < k && potential > 0) {
    let acc = 0;
    for (let i = 0; i < n; i++) cumsum[i] = acc += closest[i];
    let bestPot = Infinity;
    let bestId = -1;
    for (let t = 0; t < trials; t++) {
      const id = searchSorted(cumsum, random() * potential);
      let pot = 0;
      for (let i = 0; i < n; i++) {
        const v = Math.min(closest[i], sqDist(x, i * d, x, id * d, d));
        candidateDist[i] = v;
        pot += v;
      }
      if (pot < bestPot) {
        bestPot = pot;
        bestId = id;
        bestDist.set(candidateDist);
      }
    }
    if (closest[bestId] === 0) break; // only duplicates of existing centres are left
    centers.push(bestId);
    closest.set(bestDist);
    potential = bestPot;
  }
  const out = new Float64Array(centers.length * d);
  centers.forEach((id, c) => out.set(x.subarray(id * d, id * d + d), c * d));
  return out;
}

function assignLabels(x: Float64Array, n: number, d: number, centers: Float64Array, k: number, labels: Int32Array, dist: Float64Array): void {
  for (let i = 0; i < n; i++) {
    let best = Infinity;
    let arg = 0;
    for (let c = 0; c < k; c++) {
      const v = sqDist(x, i * d, centers, c * d, d);
      if (v < best) {
        best = v;
        arg = c;
      }
    }
    labels[i] = arg;
    dist[i] = best;
  }
}

/**
 * Lloyd's k-means from the given centres, as scikit-learn's KMeans(n_init=1): stops on unchanged
 * labels or a total squared centre shift ≤ 1e-4 × mean feature variance; empty clusters take the
 * rows farthest from their centres. Returns the final labels.
 */
export function kmeansLabels(x: Float64Array, n: number, d: number, initial: Float64Array, maxIter = 300): Int32Array {
  const k = initial.length / d;
  let centers = Float64Array.from(initial);
  let tolShift = 0;
  for (let j = 0; j < d; j++) {
    let mean = 0;
    for (let i = 0; i < n; i++) mean += x[i * d + j];
    mean /= n;
    let v = 0;
    for (let i = 0; i < n; i++) v += (x[i * d + j] - mean) ** 2;
    tolShift += v / n;
  }
  tolShift = (1e-4 * tolShift) / d;

  const labels = new Int32Array(n).fill(-1);
  const previous = new Int32Array(n);
  const dist = new Float64Array(n);
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  let strict = false;
  for (let it = 0; it < maxIter; it++) {
    previous.set(labels);
    assignLabels(x, n, d, centers, k, labels, dist);
    if (it > 0 && labels.every((l, i) => l === previous[i])) {
      strict = true;
      break;
    }
    sums.fill(0);
    counts.fill(0);
    for (let i = 0; i < n; i++) {
      const c = labels[i];
      counts[c]++;
      for (let j = 0; j < d; j++) sums[c * d + j] += x[i * d + j];
    }
    const empty: number[] = [];
    for (let c = 0; c < k; c++) if (counts[c] === 0) empty.push(c);
    if (empty.length > 0) {
      const far = Array.from({ length: n }, (_, i) => i).sort((a, b) => dist[b] - dist[a]);
      empty.forEach((c, e) => {
        const i = far[e];
        const old = labels[i];
        for (let j = 0; j < d; j++) {
          sums[old * d + j] -= x[i * d + j];
          sums[c * d + j] = x[i * d + j];
        }
        counts[old]--;
        counts[c] = 1;
      });
    }
    const next = new Float64Array(k * d);
    let shift = 0;
    for (let c = 0; c < k; c++) {
      for (let j = 0; j < d; j++) {
        next[c * d + j] = counts[c] > 0 ? sums[c * d + j] / counts[c] : centers[c * d + j];
        shift += (next[c * d + j] - centers[c * d + j]) ** 2;
      }
    }
    centers = next;
    if (shift <= tolShift) break;
  }
  if (!strict) assignLabels(x, n, d, centers, k, labels, dist);
  return labels;
}

/** Sum of squared distances of rows to their cluster's mean. */
export function kmeansInertia(x: Float64Array, n: number, d: number, labels: Int32Array, k: number): number {
  const sums = new Float64Array(k * d);
  const counts = new Float64Array(k);
  for (let i = 0; i < n; i++) {
    counts[labels[i]]++;
    for (let j = 0; j < d; j++) sums[labels[i] * d + j] += x[i * d + j];
  }
  let inertia = 0;
  for (let i = 0; i < n; i++) {
    const c = labels[i];
    for (let j = 0; j < d; j++) inertia += (x[i * d + j] - sums[c * d + j] / counts[c]) ** 2;
  }
  return inertia;
}
