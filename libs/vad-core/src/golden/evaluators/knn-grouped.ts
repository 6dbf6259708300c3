import { GroupedKnnEstimator } from '../../density/knn';
import { leaveOneGroupOutMinMax, normalizeKnnDistances } from '../../density/normalize';
import { type Comparison, type GoldenCase, compareArrays, compareNumber, goldenFloat32, goldenInt32 } from '../golden-case';

/** `knn_grouped`: per k, leave-one-group-out min/max, the k distances of each query, normalised scores. */
export async function evaluateKnnGrouped(c: GoldenCase): Promise<Comparison[]> {
  const bank = goldenFloat32(c.inputs['bank'], 'bank');
  const group = goldenInt32(c.inputs['group'], 'group').data;
  const queries = goldenFloat32(c.inputs['queries'], 'queries');
  const kValues = (c.params['k_values'] as number[] | undefined) ?? [1];
  const out: Comparison[] = [];
  for (const k of kValues) {
    const want = c.expected[`k${k}`] as Record<string, unknown>;
    const estimator = await GroupedKnnEstimator.create(bank, group, k, { what: `k${k}` });
    try {
      const norm = await leaveOneGroupOutMinMax(estimator);
      const raw = await estimator.kNearestDistances(queries);
      const q = queries.shape[0];
      out.push(
        compareNumber(`k${k}.min`, norm.min, want['min'], c.tolerance),
        compareNumber(`k${k}.max`, norm.max, want['max'], c.tolerance),
        compareArrays(`k${k}.raw`, raw, [q, k], want['raw'], c.tolerance),
        compareArrays(`k${k}.scores`, normalizeKnnDistances(raw, k, norm), [q], want['scores'], c.tolerance),
      );
    } finally {
      await estimator.release();
    }
  }
  return out;
}
