import { BUILTIN_STAGE_FIT_DEFAULTS, MIN_TRAINING_REGIONS, builtinStageDefaults, quantile, trainingSetWarnings } from './fit-report';
import { tensor } from './tensor';

describe('fit defaults for the built-in stages', () => {
  it('fills only the density settings the config leaves out, and says which', () => {
    expect(builtinStageDefaults({}, true)).toEqual({ config: { model: { ...BUILTIN_STAGE_FIT_DEFAULTS } }, chosen: { ...BUILTIN_STAGE_FIT_DEFAULTS } });
    const v1 = { model: { class_path: 'anomalib.models.AiVad', init_args: { n_velocity_bins: 8 } } };
    const r = builtinStageDefaults(v1, true);
    expect(r.chosen).toEqual({ n_components_velocity: 2 });
    expect(r.config).toEqual({ model: { class_path: 'anomalib.models.AiVad', init_args: { n_velocity_bins: 8, n_components_velocity: 2 } } });
    expect(v1.model.init_args).toEqual({ n_velocity_bins: 8 }); // the caller's config is not modified
  });

  it('keeps anomalib defaults for a flow network (RAFT units), where they were chosen', () => {
    expect(builtinStageDefaults({}, false)).toEqual({ config: {}, chosen: {} });
  });
});

describe('training-set warnings', () => {
  const column = (values: number[]) => tensor('float32', Float32Array.from(values), [values.length, 1]);

  it('warns when there are too few regions or one video', () => {
    const w = trainingSetWarnings({ velocity: column([1, 2, 3]) }, 1);
    expect(w.join('\n')).toMatch(new RegExp(`velocity: only 3 training regions \\(fewer than ${MIN_TRAINING_REGIONS}\\)`));
    expect(w.join('\n')).toMatch(/one training video/);
  });

  it('warns when every region has the same features', () => {
    const w = trainingSetWarnings({ velocity: column(Array.from({ length: 300 }, () => 0.5)) }, 3);
    expect(w).toEqual([expect.stringMatching(/too uniform to trust/)]);
  });

  it('says nothing for a varied, large enough set', () => {
    expect(trainingSetWarnings({ velocity: column(Array.from({ length: 300 }, (_, i) => i / 100)) }, 3)).toEqual([]);
  });
});

describe('quantile', () => {
  it('interpolates linearly between order statistics (numpy default)', () => {
    expect(quantile([3, 1, 2, 4], 0.5)).toBe(2.5);
    expect(quantile([10, 0], 0.99)).toBeCloseTo(9.9, 10);
    expect(quantile([7], 0.99)).toBe(7);
  });
});
