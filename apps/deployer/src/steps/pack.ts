import type { DeployStep } from './types';
import { plannedCall } from './types';

/**
 * `pack`: one deterministic model.tar.gz and its sha256 (artifact.ts). It runs while planning,
 * since the digest names the S3 key and every resource, so the runner only records it.
 */
export const packStep: DeployStep<'pack'> = {
  id: 'pack',
  duringPlan: true,
  plan: ({ config, artifact }) => ({
    title: `model.tar.gz from ${config.model.kind === 'default' ? 'the embedded default model' : config.model.kind}`,
    calls: [plannedCall('local', 'packModelDir', { out: artifact.path, sha256: artifact.sha256 })],
  }),
  run: async () => undefined,
};
