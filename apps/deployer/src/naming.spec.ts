import { DeployConfigSchema, SAGEMAKER_NAME } from '@vad/contracts';
import { deployFingerprint, isConfigOf, resourceNames, timestampStamp } from './naming';

describe('resource names', () => {
  const config = DeployConfigSchema.parse({ target: 'aws', name: 'a'.repeat(36) });
  const sha = 'ab'.repeat(32);

  it('are valid SageMaker names within 63 characters, derived from digest and timestamp', () => {
    const fp = deployFingerprint({ target: 'aws', modelSha256: sha, image: 'img', config });
    const names = resourceNames(config.name, fp, timestampStamp(new Date('2026-01-02T03:04:05Z')));
    expect(names.modelName).toBe(`${'a'.repeat(36)}-${fp}-20260102030405`);
    expect(names.modelName.length).toBeLessThanOrEqual(63);
    expect(SAGEMAKER_NAME.test(names.modelName)).toBe(true);
    expect(isConfigOf(names.endpointConfigName, config.name, fp)).toBe(true);
    expect(isConfigOf(names.endpointConfigName, config.name, 'ffffffffff')).toBe(false);
  });

  it('the fingerprint changes with what serves, not with unrelated settings', () => {
    const fp = (c: typeof config, s = sha) => deployFingerprint({ target: 'aws', modelSha256: s, image: 'img', config: c });
    expect(fp(config)).toBe(fp(DeployConfigSchema.parse({ target: 'aws', name: 'a'.repeat(36), pollSeconds: 15 })));
    expect(fp(config)).not.toBe(fp(config, 'cd'.repeat(32)));
    expect(fp(config)).not.toBe(fp(DeployConfigSchema.parse({ target: 'aws', name: 'a'.repeat(36), aws: { instanceCount: 2 } })));
  });
});
