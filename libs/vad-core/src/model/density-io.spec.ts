import { DENSITY_TENSORS } from '@vad/contracts';
import type { DensityState } from '../density/density-state';
import { float32, tensor } from '../tensor';
import { densityFromTensors, densityToTensors } from './density-io';
import { parseSafetensors, serializeSafetensors } from './safetensors';

const state: DensityState = {
  groups: ['Train001', 'Train002'],
  velocity: {
    gmm: {
      weights: float32([0.25, 0.75], [2]),
      means: float32([0, 1, 2, 3], [2, 2]),
      covariances: float32([1, 0, 0, 1, 2, 0.5, 0.5, 2], [2, 2, 2]),
    },
    norm: { min: -2.5, max: 7.25 },
    bank: float32([1, 2, 3, 4, 5, 6], [3, 2]),
  },
  pose: {
    bank: float32(
      Array.from({ length: 68 }, (_, i) => i / 68),
      [2, 34],
    ),
    group: tensor('int32', new Int32Array([0, 1]), [2]),
    norm: { min: 0.5, max: 1.5 },
    k: 3,
  },
};

describe('density-io', () => {
  it('writes the tensor names of model-format.md and the metadata', () => {
    const { tensors, metadata } = densityToTensors(state, 'test 1.0');
    expect(Object.keys(tensors).sort()).toEqual(
      [
        DENSITY_TENSORS.velocity.weights,
        DENSITY_TENSORS.velocity.means,
        DENSITY_TENSORS.velocity.covariances,
        DENSITY_TENSORS.velocity.norm,
        DENSITY_TENSORS.velocity.bank,
        DENSITY_TENSORS.pose.bank,
        DENSITY_TENSORS.pose.group,
        DENSITY_TENSORS.pose.norm,
      ].sort(),
    );
    expect(metadata).toEqual({ groups: '["Train001","Train002"]', fitted_with: 'test 1.0', k_pose: '3' });
    expect((tensors as Record<string, { dtype: string }>)['pose.group']!.dtype).toBe('I32');
  });

  it('round-trips a state through density.safetensors bytes', () => {
    const { tensors, metadata } = densityToTensors(state);
    const back = densityFromTensors(parseSafetensors(serializeSafetensors(tensors, metadata)));
    expect(back.groups).toEqual(state.groups);
    expect(back.appearance).toBeUndefined();
    expect(back.velocity!.norm).toEqual({ min: -2.5, max: 7.25 });
    expect(Array.from(back.velocity!.gmm.covariances.data)).toEqual([1, 0, 0, 1, 2, 0.5, 0.5, 2]);
    expect(back.velocity!.gmm.covariances.shape).toEqual([2, 2, 2]);
    expect(back.velocity!.gmm.precisionsCholesky).toBeUndefined();
    expect(Array.from(back.velocity!.bank!.data)).toEqual([1, 2, 3, 4, 5, 6]);
    expect(back.pose!.k).toBe(3);
    expect(Array.from(back.pose!.group.data)).toEqual([0, 1]);
    expect(back.pose!.bank.shape).toEqual([2, 34]);
    expect(back.pose!.bank.data[67]).toBeCloseTo(67 / 68, 6);
  });

  it('defaults k to 1 when the metadata does not say (anomalib v0.7 behaviour)', () => {
    const { tensors, metadata } = densityToTensors(state);
    delete metadata['k_pose'];
    expect(densityFromTensors(parseSafetensors(serializeSafetensors(tensors, metadata))).pose!.k).toBe(1);
  });

  it('refuses a bank without its group tensor', () => {
    const { tensors, metadata } = densityToTensors(state);
    delete (tensors as Record<string, unknown>)['pose.group'];
    expect(() => densityFromTensors(parseSafetensors(serializeSafetensors(tensors, metadata)))).toThrow(/lacks pose\.group/);
  });
});
