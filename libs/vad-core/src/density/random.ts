/**
 * A small seeded PRNG (mulberry32) so that fitting is deterministic given the seed on every
 * platform. It does not reproduce numpy's MT19937 stream: our k-means++ draws differ from
 * scikit-learn's `random_state=0`, so fitted models agree with scikit-learn's in quality (mean
 * log-likelihood), not bit for bit.
 */
export type Random = () => number;

export function seededRandom(seed: number): Random {
  let a = (seed | 0) ^ 0x9e3779b9;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A uniform integer in [0, n). */
export function randomIndex(random: Random, n: number): number {
  return Math.min(n - 1, Math.floor(random() * n));
}
