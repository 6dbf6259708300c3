import { z } from 'zod';

/** Tensor names in `density.safetensors` (model-format.md). */
export const DENSITY_TENSORS = {
  velocity: {
    weights: 'velocity.gmm.weights',
    means: 'velocity.gmm.means',
    covariances: 'velocity.gmm.covariances',
    precisionsCholesky: 'velocity.gmm.precisions_cholesky',
    norm: 'velocity.norm',
    bank: 'velocity.bank',
  },
  pose: { bank: 'pose.bank', group: 'pose.group', norm: 'pose.norm' },
  appearance: { bank: 'appearance.bank', group: 'appearance.group', norm: 'appearance.norm' },
} as const;

/** `__metadata__` of density.safetensors: every value is a string in the file. */
export const DensityMetadataSchema = z
  .object({
    groups: z.string().default('[]'),
    k_pose: z.string().optional(),
    k_appearance: z.string().optional(),
    fitted_with: z.string().optional(),
  })
  .loose();
export type DensityMetadata = z.infer<typeof DensityMetadataSchema>;
