/**
 * ECR, Application Auto Scaling, Service Quotas and Batch Transform helpers against
 * aws-sdk-client-mock (no local server exists for these control planes).
 */
import { mockClient } from 'aws-sdk-client-mock';
import {
  CreateRepositoryCommand,
  DescribeImagesCommand,
  DescribeRepositoriesCommand,
  ECRClient,
  GetAuthorizationTokenCommand,
  RepositoryAlreadyExistsException,
} from '@aws-sdk/client-ecr';
import { ApplicationAutoScalingClient, PutScalingPolicyCommand, RegisterScalableTargetCommand } from '@aws-sdk/client-application-auto-scaling';
import { ListServiceQuotasCommand, ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { CreateTransformJobCommand, DescribeTransformJobCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ResourceLimitError, UnsupportedManifestError } from '../errors';
import { putTargetTracking } from './autoscaling';
import { createTransformJob, waitForTransformJob } from './batch';
import { DOCKER_V2_MANIFEST, ecrLogin, ensureRepository, pinImage } from './ecr';
import { checkInstanceQuota } from './quotas';

const creds = { region: 'eu-west-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } };
const ecrMock = mockClient(ECRClient);
const aasMock = mockClient(ApplicationAutoScalingClient);
const sqMock = mockClient(ServiceQuotasClient);
const smMock = mockClient(SageMakerClient);
const REPO = '123456789012.dkr.ecr.eu-west-1.amazonaws.com/vad-serve';

beforeEach(() => {
  ecrMock.reset();
  aasMock.reset();
  sqMock.reset();
  smMock.reset();
});

describe('ECR', () => {
  it('creates the repository with immutable tags, or takes the existing one', async () => {
    const ecr = new ECRClient(creds);
    ecrMock.on(CreateRepositoryCommand).resolves({ repository: { repositoryUri: REPO, repositoryArn: 'arn:repo' } });
    expect(await ensureRepository(ecr, 'vad-serve', { 'vad-serve:managed': 'true' })).toMatchObject({ repositoryUri: REPO, created: true });
    expect(ecrMock.commandCalls(CreateRepositoryCommand)[0]!.args[0].input).toMatchObject({
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      tags: [{ Key: 'vad-serve:managed', Value: 'true' }],
    });

    ecrMock.on(CreateRepositoryCommand).rejects(new RepositoryAlreadyExistsException({ message: 'exists', $metadata: {} }));
    ecrMock.on(DescribeRepositoriesCommand).resolves({ repositories: [{ repositoryUri: REPO, repositoryArn: 'arn:repo' }] });
    expect(await ensureRepository(ecr, 'vad-serve')).toMatchObject({ repositoryUri: REPO, created: false });
  });

  it('decodes the login token', async () => {
    ecrMock.on(GetAuthorizationTokenCommand).resolves({
      authorizationData: [
        { authorizationToken: Buffer.from('AWS:secret').toString('base64'), proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com' },
      ],
    });
    expect(await ecrLogin(new ECRClient(creds))).toMatchObject({
      username: 'AWS',
      password: 'secret',
      proxyEndpoint: 'https://123456789012.dkr.ecr.eu-west-1.amazonaws.com',
    });
  });

  it('pins the digest of a Docker v2 image and refuses OCI manifests', async () => {
    const digest = 'sha256:' + 'c'.repeat(64);
    ecrMock.on(DescribeImagesCommand).resolvesOnce({ imageDetails: [{ imageDigest: digest, imageManifestMediaType: DOCKER_V2_MANIFEST }] });
    expect(await pinImage(new ECRClient(creds), REPO, '0.1.0')).toMatchObject({ imageUri: `${REPO}@${digest}`, imageDigest: digest });
    expect(ecrMock.commandCalls(DescribeImagesCommand)[0]!.args[0].input).toEqual({ repositoryName: 'vad-serve', imageIds: [{ imageTag: '0.1.0' }] });
    ecrMock.on(DescribeImagesCommand).resolves({ imageDetails: [{ imageDigest: digest, imageManifestMediaType: 'application/vnd.oci.image.index.v1+json' }] });
    await expect(pinImage(new ECRClient(creds), REPO, '0.1.0')).rejects.toBeInstanceOf(UnsupportedManifestError);
  });
});

describe('Application Auto Scaling', () => {
  it('registers the variant and a target-tracking policy on invocations per instance', async () => {
    aasMock.on(RegisterScalableTargetCommand).resolves({});
    aasMock.on(PutScalingPolicyCommand).resolves({ PolicyARN: 'arn:policy' });
    const r = await putTargetTracking(new ApplicationAutoScalingClient(creds), {
      endpointName: 'ep',
      minInstances: 1,
      maxInstances: 4,
      targetInvocationsPerInstance: 70,
    });
    expect(r).toEqual({ policyArn: 'arn:policy', resourceId: 'endpoint/ep/variant/AllTraffic' });
    expect(aasMock.commandCalls(RegisterScalableTargetCommand)[0]!.args[0].input).toEqual({
      ServiceNamespace: 'sagemaker',
      ResourceId: 'endpoint/ep/variant/AllTraffic',
      ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
      MinCapacity: 1,
      MaxCapacity: 4,
    });
    expect(aasMock.commandCalls(PutScalingPolicyCommand)[0]!.args[0].input.TargetTrackingScalingPolicyConfiguration).toEqual({
      TargetValue: 70,
      PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
      ScaleInCooldown: 300,
      ScaleOutCooldown: 300,
    });
  });
});

describe('Service Quotas pre-flight', () => {
  it('passes when the quota allows the count and fails with ResourceLimitError at 0', async () => {
    sqMock
      .on(ListServiceQuotasCommand)
      .resolvesOnce({ Quotas: [{ QuotaName: 'ml.m5.xlarge for endpoint usage', Value: 4 }], NextToken: 't' })
      .resolves({ Quotas: [{ QuotaName: 'ml.g5.xlarge for endpoint usage', Value: 0 }] });
    const sq = new ServiceQuotasClient(creds);
    expect(await checkInstanceQuota(sq, 'ml.m5.xlarge', 2)).toMatchObject({ ok: true, value: 4 });
    const err = await checkInstanceQuota(sq, 'ml.g5.xlarge', 1).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ResourceLimitError);
    expect(err).toMatchObject({ quotaName: 'ml.g5.xlarge for endpoint usage', quotaValue: 0, requested: 1 });
  });
});

describe('Batch Transform', () => {
  it('creates a job over an S3 prefix and waits for it', async () => {
    smMock.on(CreateTransformJobCommand).resolves({ TransformJobArn: 'arn:job' });
    smMock
      .on(DescribeTransformJobCommand)
      .resolvesOnce({ TransformJobStatus: 'InProgress' } as never)
      .resolves({ TransformJobStatus: 'Completed' } as never);
    const sm = new SageMakerClient(creds);
    await createTransformJob(sm, {
      jobName: 'job-1',
      modelName: 'm',
      inputS3Uri: 's3://b/frames/',
      outputS3Uri: 's3://b/out/',
      contentType: 'image/jpeg',
      instanceType: 'ml.g5.xlarge',
      maxPayloadInMB: 6,
    });
    expect(smMock.commandCalls(CreateTransformJobCommand)[0]!.args[0].input).toMatchObject({
      TransformJobName: 'job-1',
      TransformInput: { DataSource: { S3DataSource: { S3DataType: 'S3Prefix', S3Uri: 's3://b/frames/' } }, ContentType: 'image/jpeg', SplitType: 'None' },
      TransformOutput: { S3OutputPath: 's3://b/out/', Accept: 'application/json' },
      MaxPayloadInMB: 6,
    });
    const seen: string[] = [];
    await waitForTransformJob(sm, 'job-1', { pollSeconds: 0.01, onProgress: (s) => seen.push(s) });
    expect(seen).toEqual(['InProgress', 'Completed']);
  });
});
