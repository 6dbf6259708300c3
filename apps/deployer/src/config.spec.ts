import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadDeployConfig } from './config';

describe('deploy configuration', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vad-deployer-config-'));
  });
  afterAll(() => rm(dir, { recursive: true, force: true }));

  const yaml = async (name: string, text: string) => {
    const p = join(dir, name);
    await writeFile(p, text);
    return p;
  };

  it('defaults to the local target and the embedded default model', async () => {
    const { config } = await loadDeployConfig({ config: await yaml('empty.yaml', '') }, {});
    expect(config.target).toBe('local');
    expect(config.name).toBe('vad-serve');
    expect(config.model).toEqual({ kind: 'default' });
    expect(config.smoke.skip).toBe(false);
  });

  it('layers deploy.yaml < env < flags', async () => {
    const file = await yaml('layers.yaml', 'name: from-file\naws:\n  instanceType: ml.m5.large\n  instanceCount: 2\n  bucket: file-bucket\n');
    const { config } = await loadDeployConfig(
      { config: file, instanceCount: '3' },
      { VAD_DEPLOY_NAME: 'from-env', VAD_DEPLOY_BUCKET: 'env-bucket', AWS_REGION: 'eu-west-1' },
    );
    expect(config.name).toBe('from-env');
    expect(config.aws.bucket).toBe('env-bucket');
    expect(config.aws.instanceType).toBe('ml.m5.large');
    expect(config.aws.instanceCount).toBe(3);
    expect(config.aws.region).toBe('eu-west-1');
    const flagged = await loadDeployConfig({ config: file, name: 'from-flag' }, { VAD_DEPLOY_NAME: 'from-env' });
    expect(flagged.config.name).toBe('from-flag');
  });

  it('reports every bad field, one readable line each', async () => {
    const file = await yaml('bad.yaml', 'target: gcp\nname: "bad name!"\naws:\n  instanceCount: 0\n  instanceType: g5.xlarge\n  roleArn: nope\nbogus: 1\n');
    const err = await loadDeployConfig({ config: file }, {}).catch((e: Error & { code?: string }) => e);
    expect(err).toBeInstanceOf(Error);
    expect((err as { code?: string }).code).toBe('config_invalid');
    const lines = (err as Error).message.split('\n').slice(1);
    const paths = lines.map((l) => l.trim().split(':')[0]);
    expect(paths).toEqual(expect.arrayContaining(['target', 'name', 'aws.instanceCount', 'aws.instanceType', 'aws.roleArn', '(top level)']));
    expect((err as Error).message).toMatch(/aws\.roleArn: an IAM role ARN/);
    expect((err as Error).message).toMatch(/Unrecognized key.*bogus/);
  });

  it('target aws requires region, bucket, role and image, and checks the image region', async () => {
    const err = await loadDeployConfig({ target: 'aws' }, {}).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/aws\.region: required/);
    expect((err as Error).message).toMatch(/aws\.bucket: required/);
    expect((err as Error).message).toMatch(/aws\.roleArn: required/);
    expect((err as Error).message).toMatch(/aws\.image: required/);
    const cross = await loadDeployConfig(
      {
        target: 'aws',
        region: 'us-east-1',
        bucket: 'my-bucket',
        roleArn: 'arn:aws:iam::123456789012:role/sm',
        image: '123456789012.dkr.ecr.eu-west-1.amazonaws.com/vad-serve:1',
      },
      {},
    ).catch((e: Error) => e);
    expect((cross as Error).message).toMatch(/aws\.image\.uri: the image is in eu-west-1 but the endpoint in us-east-1/);
    // plan/status need less: the same flags load for `other` commands
    await expect(loadDeployConfig({ target: 'aws' }, {}, 'other')).resolves.toBeDefined();
  });

  it('reads the model shorthand: model dir, model.tar.gz, anomalib files, default', async () => {
    const modelDir = join(dir, 'm');
    await mkdir(modelDir, { recursive: true });
    await writeFile(join(modelDir, 'manifest.json'), '{}');
    const file = await yaml('model.yaml', 'model: ./m\n');
    expect((await loadDeployConfig({ config: file }, {})).config.model).toEqual({ kind: 'dir', path: modelDir });
    expect((await loadDeployConfig({ model: [join(dir, 'x.tar.gz')] }, {})).config.model).toEqual({ kind: 'tar', path: join(dir, 'x.tar.gz') });
    expect((await loadDeployConfig({ model: ['/a/w.pth', '/a/b.joblib', '/a/c.yaml'] }, {})).config.model).toEqual({
      kind: 'anomalib',
      files: ['/a/w.pth', '/a/b.joblib', '/a/c.yaml'],
    });
    expect((await loadDeployConfig({ model: ['default'] }, {})).config.model).toEqual({ kind: 'default' });
  });

  it('refuses unreadable YAML and a missing explicit file with one line', async () => {
    await expect(loadDeployConfig({ config: await yaml('broken.yaml', 'a: [1,\n') }, {})).rejects.toThrow(/is not valid YAML/);
    await expect(loadDeployConfig({ config: join(dir, 'missing.yaml') }, {})).rejects.toThrow(/cannot read/);
  });

  it('autoscale min must not exceed max; canary rollouts need an alarm', async () => {
    await expect(loadDeployConfig({ autoscaleMin: '3', autoscaleMax: '2' }, {})).rejects.toThrow(/autoscale\.min must not exceed autoscale\.max/);
    const err = await loadDeployConfig(
      {
        target: 'aws',
        region: 'us-east-1',
        bucket: 'my-bucket',
        roleArn: 'arn:aws:iam::123456789012:role/sm',
        image: '123456789012.dkr.ecr.us-east-1.amazonaws.com/vad-serve:1',
        rollout: 'canary',
      },
      {},
    ).catch((e: Error) => e);
    expect((err as Error).message).toMatch(/aws\.rollout\.alarms/);
  });
});
