import type { Comparison, GoldenCase } from '../golden-case';

// Placeholder until the stage lands: the golden command reports the case as failed.
export function evaluatePoseFeatures(c: GoldenCase): Comparison[] {
  throw new Error(`${c.kind}: not implemented yet`);
}
