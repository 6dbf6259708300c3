import { ApplicationAutoScalingClient, DescribeScalableTargetsCommand, DescribeScalingPoliciesCommand } from '@aws-sdk/client-application-auto-scaling';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DescribeTransformJobCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { DEPLOY_TAGS } from '@vad/contracts';
import { BUCKET, cli, clientConfig, deployArgs, sagemakerResources, useMoto, type Moto } from './moto';

/**
 * Autoscale and batch over the wire, against moto_server (moto 5.2.1). moto implements Application
 * Auto Scaling's RegisterScalableTarget / PutScalingPolicy / Describe* / Deregister*, and SageMaker's
 * CreateTransformJob / DescribeTransformJob — but a moto transform job is `Completed` the moment it
 * is created and runs no container (no `.out` objects are written), so what a job produces stays
 * covered by the container e2e and the aws-sdk-client-mock spec (src/commands/batch.spec.ts).
 */
let moto: Moto;
let home: string;
let env: Record<string, string>;

useMoto('home-issue10-moto-scale-', (m, h) => {
  moto = m;
  home = h;
  env = { AWS_ENDPOINT_URL: moto.endpoint };
});

async function scaling(): Promise<{
  targets: Array<{ id?: string; min?: number; max?: number }>;
  policies: Array<{ type?: string; value?: number; metric?: string }>;
}> {
  const c = new ApplicationAutoScalingClient(clientConfig(moto.endpoint));
  try {
    const t = await c.send(new DescribeScalableTargetsCommand({ ServiceNamespace: 'sagemaker' }));
    const p = await c.send(new DescribeScalingPoliciesCommand({ ServiceNamespace: 'sagemaker' }));
    return {
      targets: (t.ScalableTargets ?? []).map((x) => ({ id: x.ResourceId, min: x.MinCapacity, max: x.MaxCapacity })),
      policies: (p.ScalingPolicies ?? []).map((x) => ({
        type: x.PolicyType,
        value: x.TargetTrackingScalingPolicyConfiguration?.TargetValue,
        metric: x.TargetTrackingScalingPolicyConfiguration?.PredefinedMetricSpecification?.PredefinedMetricType,
      })),
    };
  } finally {
    c.destroy();
  }
}

describe('deployer autoscale and batch against moto_server', () => {
  it('deploy with autoscaling registers the variant and a target-tracking policy; autoscale --off and destroy remove them', async () => {
    const r = await cli(['deploy', ...deployArgs('moto-scale'), '--autoscale-min', '1', '--autoscale-max', '3', '--autoscale-target', '70'], env, home);
    expect([r.code, r.out]).toEqual([0, expect.stringMatching(/InService/)]);
    expect(await scaling()).toEqual({
      targets: [{ id: 'endpoint/moto-scale/variant/AllTraffic', min: 1, max: 3 }],
      policies: [{ type: 'TargetTrackingScaling', value: 70, metric: 'SageMakerVariantInvocationsPerInstance' }],
    });

    const off = await cli(['autoscale', '-t', 'aws', '--name', 'moto-scale', '--off'], env, home);
    expect([off.code, off.out]).toEqual([0, expect.stringContaining('autoscaling removed from moto-scale/AllTraffic')]);
    expect(await scaling()).toEqual({ targets: [], policies: [] });

    const on = await cli(
      ['autoscale', '-t', 'aws', '--name', 'moto-scale', '--autoscale-min', '2', '--autoscale-max', '4', '--autoscale-target', '50'],
      env,
      home,
    );
    expect([on.code, on.out]).toEqual([0, expect.stringContaining('moto-scale/AllTraffic: 2–4 instances, target 50')]);
    expect((await scaling()).targets).toEqual([{ id: 'endpoint/moto-scale/variant/AllTraffic', min: 2, max: 4 }]);
  });

  it("batch starts a transform job on the deployed model with the records' content type and our tags", async () => {
    const s3 = new S3Client({ ...clientConfig(moto.endpoint), forcePathStyle: true });
    for (const k of ['batch-in/a.mp4', 'batch-in/b.mp4'])
      await s3.send(new PutObjectCommand({ Bucket: BUCKET, Key: k, Body: Buffer.from('not decoded by moto') }));
    s3.destroy();
    const r = await cli(
      [
        'batch',
        '-t',
        'aws',
        '--name',
        'moto-scale',
        '--instance-type',
        'ml.m5.large',
        '--input',
        `s3://${BUCKET}/batch-in/`,
        '--output',
        `s3://${BUCKET}/batch-out/`,
        '--poll',
        '1',
      ],
      env,
      home,
    );
    expect([r.code, r.out]).toEqual([0, expect.stringMatching(/completed moto-scale-batch-\d{14}: results under s3:\/\/vad-models\/batch-out\//)]);
    const jobName = /completed (moto-scale-batch-\d{14})/.exec(r.out)![1]!;

    const sm = new SageMakerClient(clientConfig(moto.endpoint));
    try {
      const job = await sm.send(new DescribeTransformJobCommand({ TransformJobName: jobName }));
      const model = (await sagemakerResources(moto.endpoint)).find((x) => x.kind === 'model')!;
      expect(job.ModelName).toBe(model.name);
      expect(job.TransformInput?.ContentType).toBe('video/mp4');
      expect(job.TransformInput?.DataSource?.S3DataSource?.S3Uri).toBe(`s3://${BUCKET}/batch-in/`);
      expect(job.TransformOutput?.S3OutputPath).toBe(`s3://${BUCKET}/batch-out/`);
      expect(job.TransformResources).toMatchObject({ InstanceType: 'ml.m5.large', InstanceCount: 1 });
      const tags = Object.fromEntries(((await sm.send(new ListTagsCommand({ ResourceArn: job.TransformJobArn }))).Tags ?? []).map((t) => [t.Key, t.Value]));
      expect([tags[DEPLOY_TAGS.managed], tags[DEPLOY_TAGS.endpoint]]).toEqual(['true', 'moto-scale']);
    } finally {
      sm.destroy();
    }

    expect((await cli(['destroy', '-t', 'aws', '--name', 'moto-scale'], env, home)).code).toBe(0);
    expect(await sagemakerResources(moto.endpoint)).toEqual([]);
    // destroy deregisters the autoscaling the first test left on: no scalable target outlives its endpoint
    expect(await scaling()).toEqual({ targets: [], policies: [] });
  });
});
