import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isVadError } from '@vad/contracts';
import type { AwsServices, TransformJobRequest } from '@vad/sagemaker-client';
import { loadDeployConfig } from '../config';
import { silentReporter } from '../progress';
import { emptyState, StateStore } from '../state';
import type { Targets } from '../targets';
import { runBatch } from './batch';

/**
 * `deployer batch`: the Content-Type every record is sent with is decided from the input prefix
 * before a job starts. The AWS services are a recording stand-in here (the SDK request itself is
 * checked in aws/sdk-services.spec.ts, the listing against s3rver in sagemaker-client).
 */
describe('runBatch', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vad-batch-'));
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  async function setup(keys: string[]) {
    const { config } = await loadDeployConfig({ target: 'aws', region: 'us-east-1', bucket: 'models', stateFile: join(dir, 's.json') }, {}, 'other');
    const store = new StateStore(join(dir, 's.json'));
    await store.save({
      ...emptyState(config),
      current: {
        fingerprint: 'f'.repeat(16),
        modelSha256: 'a'.repeat(64),
        modelName: 'vad-serve-m',
        endpointConfigName: 'vad-serve-c',
        at: new Date().toISOString(),
      },
    });
    const started: TransformJobRequest[] = [];
    const aws = {
      listInputKeys: async () => ({ keys, truncated: false }),
      startTransformJob: async (req: TransformJobRequest) => (started.push(req), { jobArn: `arn:job/${req.jobName}` }),
    } as unknown as AwsServices;
    const targets = { target: {}, aws } as unknown as Targets;
    return { config, store, targets, started };
  }
  const opts = (contentType?: string) => ({
    input: 's3://inputs/batch/',
    output: 's3://outputs/r/',
    accept: 'application/json',
    wait: false,
    ...(contentType ? { contentType } : {}),
  });

  it('sends videos as their video type, not application/x-image', async () => {
    const { config, store, targets, started } = await setup(['batch/a.mp4', 'batch/b.mp4']);
    const line = await runBatch(config, targets, store, opts(), silentReporter);
    expect(started).toHaveLength(1);
    expect(started[0]!.contentType).toBe('video/mp4');
    expect(line).toMatch(/records sent as video\/mp4/);
  });

  it('refuses a prefix of images before starting anything (the server would answer needs_clip to each)', async () => {
    const { config, store, targets, started } = await setup(['batch/f1.jpg', 'batch/f2.jpg']);
    const err = await runBatch(config, targets, store, opts(), silentReporter).catch((e: unknown) => e);
    expect(isVadError(err) && err.code).toBe('unsupported_media_type');
    expect(String((err as Error).message)).toMatch(/2 image\/jpeg/);
    expect(started).toHaveLength(0);
  });

  it('--content-type is checked too', async () => {
    const { config, store, targets, started } = await setup([]);
    await expect(runBatch(config, targets, store, opts('application/x-image'), silentReporter)).rejects.toMatchObject({ code: 'unsupported_media_type' });
    await runBatch(config, targets, store, opts('application/json'), silentReporter);
    expect(started[0]!.contentType).toBe('application/json');
  });
});
