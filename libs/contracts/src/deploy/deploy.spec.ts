import { DEPLOY_STEPS, DeployConfigSchema, DeployPlanSchema, DeployStateSchema, deployConfigProblems } from '../index';

describe('deploy contracts', () => {
  it('an empty configuration is a local deploy of the default model', () => {
    const c = DeployConfigSchema.parse({});
    expect(c).toMatchObject({
      target: 'local',
      name: 'vad-serve',
      model: { kind: 'default' },
      aws: { instanceType: 'ml.g5.xlarge', instanceCount: 1, variant: 'AllTraffic', prefix: 'vad-serve' },
    });
    expect(deployConfigProblems(c)).toEqual([]);
  });

  it('names leave room for -<fingerprint>-<timestamp> within 63 characters', () => {
    expect(DeployConfigSchema.safeParse({ name: 'a'.repeat(36) }).success).toBe(true);
    expect(DeployConfigSchema.safeParse({ name: 'a'.repeat(37) }).success).toBe(false);
    expect(DeployConfigSchema.safeParse({ name: 'bad--' }).success).toBe(false);
  });

  it('plans and state files round-trip', () => {
    const plan = {
      target: 'aws',
      action: 'create',
      endpointName: 'e',
      modelName: 'e-0123456789-20260101000000',
      endpointConfigName: 'e-0123456789-20260101000000',
      fingerprint: '0123456789',
      modelSha256: 'a'.repeat(64),
      steps: DEPLOY_STEPS.map((id) => ({ id, title: id, calls: [{ service: 'sagemaker', operation: 'X', input: {} }] })),
    };
    expect(DeployPlanSchema.parse(plan).steps).toHaveLength(DEPLOY_STEPS.length);
    const state = {
      version: 1,
      target: 'local',
      endpointName: 'e',
      attempt: { fingerprint: '0123456789', stamp: '20260101000000', action: 'create', startedAt: 'x', done: ['pack'], outputs: {} },
    };
    expect(DeployStateSchema.parse(state).superseded).toEqual([]);
    expect(DeployStateSchema.safeParse({ ...state, attempt: { ...state.attempt, done: ['dance'] } }).success).toBe(false);
  });
});
