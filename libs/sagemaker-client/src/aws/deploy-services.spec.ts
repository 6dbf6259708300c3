import { mockClient } from 'aws-sdk-client-mock';
import { CreateRepositoryCommand, DescribeImagesCommand, ECRClient, GetAuthorizationTokenCommand } from '@aws-sdk/client-ecr';
import { CreateTransformJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ListServiceQuotasCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { createAwsServices } from './deploy-services';

/** The image/quota/batch calls against aws-sdk-client-mock'ed clients (no local server for them), docker faked. */
const ecr = mockClient(ECRClient);
const sm = mockClient(SageMakerClient);
const quotas = mockClient(ServiceQuotasClient);
const DIGEST = `sha256:${'f'.repeat(64)}`;
const V2 = 'application/vnd.docker.distribution.manifest.v2+json';

function services(docker: (args: string[], input?: string) => Promise<string>) {
  return createAwsServices({
    region: 'us-east-1',
    clients: {
      ecr: new ECRClient({ region: 'us-east-1' }),
      sagemaker: new SageMakerClient({ region: 'us-east-1' }),
      quotas: new ServiceQuotasClient({ region: 'us-east-1' }),
    },
    docker,
  });
}

beforeEach(() => {
  ecr.reset();
  sm.reset();
  quotas.reset();
  ecr.on(CreateRepositoryCommand).resolves({
    repository: {
      repositoryUri: '123456789012.dkr.ecr.us-east-1.amazonaws.com/vad-serve',
      repositoryArn: 'arn:aws:ecr:us-east-1:123456789012:repository/vad-serve',
    },
  });
  ecr.on(GetAuthorizationTokenCommand).resolves({
    authorizationData: [
      { authorizationToken: Buffer.from('AWS:secret').toString('base64'), proxyEndpoint: 'https://123456789012.dkr.ecr.us-east-1.amazonaws.com' },
    ],
  });
});

describe('image build and push', () => {
  it('builds a Docker v2 image, pushes it under an immutable content tag and pins the digest', async () => {
    const calls: string[][] = [];
    let pushed = false;
    ecr.on(DescribeImagesCommand).callsFake(async () => {
      if (!pushed)
        throw Object.assign(new Error('The image with imageId {imageTag:x} does not exist'), {
          name: 'ImageNotFoundException',
          $metadata: { httpStatusCode: 400 },
        });
      return { imageDetails: [{ imageDigest: DIGEST, imageManifestMediaType: V2 }] };
    });
    const docker = async (args: string[], input?: string) => {
      calls.push(args);
      if (args[0] === 'image') return 'sha256:0123456789abcdef0123\n';
      if (args[0] === 'push') pushed = true;
      if (args[0] === 'login') expect(input).toBe('secret');
      return '';
    };
    const r = await services(docker).resolveImage(
      { build: { context: '.', dockerfile: 'apps/server/Dockerfile', repository: 'vad-serve' } },
      { tags: { 'vad-serve:managed': 'true' } },
    );
    expect(r).toEqual({ uri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/vad-serve@${DIGEST}`, digest: DIGEST, pushed: true });
    expect(calls[0]).toEqual(expect.arrayContaining(['buildx', 'build', '--provenance=false', '--output', 'type=docker']));
    expect(calls.map((c) => c[0])).toEqual(['buildx', 'image', 'login', 'tag', 'push']);
    expect(calls[4]).toEqual(['push', '123456789012.dkr.ecr.us-east-1.amazonaws.com/vad-serve:img-0123456789abcdef']);
    expect(ecr.commandCalls(CreateRepositoryCommand)[0]!.args[0].input).toMatchObject({ repositoryName: 'vad-serve', imageTagMutability: 'IMMUTABLE' });
  });

  it('does not push again when the content tag is already in ECR', async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imageManifestMediaType: V2 }] });
    const calls: string[] = [];
    const r = await services(async (args) => {
      calls.push(args[0]!);
      return args[0] === 'image' ? 'sha256:0123456789abcdef0123' : '';
    }).resolveImage({ build: { context: '.', dockerfile: 'apps/server/Dockerfile', repository: 'vad-serve' } }, { tags: {} });
    expect(r.pushed).toBe(false);
    expect(calls).toEqual(['buildx', 'image']);
  });

  it('a digest URI is checked by digest', async () => {
    ecr.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: DIGEST, imageManifestMediaType: V2 }] });
    const r = await services(async () => '').resolveImage({ uri: `123456789012.dkr.ecr.us-east-1.amazonaws.com/team/vad@${DIGEST}` }, { tags: {} });
    expect(r.uri).toBe(`123456789012.dkr.ecr.us-east-1.amazonaws.com/team/vad@${DIGEST}`);
    expect(ecr.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({ repositoryName: 'team/vad', imageIds: [{ imageDigest: DIGEST }] });
  });
});

describe('quota and batch', () => {
  it('reads the endpoint-usage quota, and goes on with a note when Service Quotas is not readable', async () => {
    quotas.on(ListServiceQuotasCommand).resolves({ Quotas: [{ QuotaName: 'ml.g5.xlarge for endpoint usage', Value: 0 }] });
    expect(await services(async () => '').instanceQuota('ml.g5.xlarge')).toEqual({ quotaName: 'ml.g5.xlarge for endpoint usage', value: 0 });
    quotas
      .on(ListServiceQuotasCommand)
      .rejects(Object.assign(new Error('not authorized'), { name: 'AccessDeniedException', $metadata: { httpStatusCode: 403 } }));
    const q = await services(async () => '').instanceQuota('ml.g5.xlarge');
    expect(q.value).toBeUndefined();
    expect(q.note).toMatch(/not authorized/);
  });

  it('starts a Batch Transform job over an S3 prefix with the deployed model, tagged', async () => {
    sm.on(CreateTransformJobCommand).resolves({ TransformJobArn: 'arn:aws:sagemaker:us-east-1:123456789012:transform-job/j' });
    const r = await services(async () => '').startTransformJob({
      jobName: 'vad-serve-batch-20260101000000',
      modelName: 'vad-serve-0123456789-20260101000000',
      inputS3Uri: 's3://in/frames/',
      outputS3Uri: 's3://out/results/',
      contentType: 'video/mp4',
      accept: 'application/json',
      instanceType: 'ml.g5.xlarge',
      instanceCount: 1,
      tags: { 'vad-serve:managed': 'true' },
    });
    expect(r.jobArn).toMatch(/transform-job/);
    expect(sm.commandCalls(CreateTransformJobCommand)[0]!.args[0].input).toMatchObject({
      ModelName: 'vad-serve-0123456789-20260101000000',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://in/frames/' } }, SplitType: 'None', ContentType: 'video/mp4' },
      TransformOutput: { S3OutputPath: 's3://out/results/' },
      Tags: [{ Key: 'vad-serve:managed', Value: 'true' }],
    });
  });
});
