import type { DeployConfig } from '@vad/contracts';

/**
 * `iam`: the least-privilege policies, scoped to what this configuration touches: the model prefix
 * in the bucket, the ECR repository, SageMaker resources whose names start with `<name>`, and the
 * endpoint's CloudWatch log group.
 */
export function iamPolicies(config: DeployConfig, account = '*'): { deployRole: object; executionRole: object } {
  const a = config.aws;
  const region = a.region ?? '*';
  const bucket = a.bucket ?? '<bucket>';
  const prefix = a.prefix.replace(/^\/+|\/+$/g, '');
  const objects = `arn:aws:s3:::${bucket}/${prefix ? `${prefix}/` : ''}*`;
  const repo =
    a.image && 'build' in a.image
      ? a.image.build.repository
      : a.image && 'uri' in a.image
        ? (/amazonaws\.com(?:\.cn)?\/([^:@]+)/.exec(a.image.uri)?.[1] ?? 'vad-serve')
        : 'vad-serve';
  const repoArn = `arn:aws:ecr:${region}:${account}:repository/${repo}`;
  const sm = (kind: string) => `arn:aws:sagemaker:${region}:${account}:${kind}/${config.name.toLowerCase()}*`;
  const role = a.roleArn ?? `arn:aws:iam::${account}:role/<endpoint-execution-role>`;
  const deployRole = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ModelArtifacts', Effect: 'Allow', Action: ['s3:PutObject', 's3:GetObject', 's3:PutObjectTagging', 's3:AbortMultipartUpload'], Resource: objects },
      {
        Sid: 'ModelArtifactsList',
        Effect: 'Allow',
        Action: ['s3:ListBucket'],
        Resource: `arn:aws:s3:::${bucket}`,
        Condition: { StringLike: { 's3:prefix': [`${prefix}/*`] } },
      },
      { Sid: 'EcrAuth', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
      {
        Sid: 'EcrRepository',
        Effect: 'Allow',
        Action: [
          'ecr:CreateRepository',
          'ecr:DescribeRepositories',
          'ecr:DescribeImages',
          'ecr:BatchGetImage',
          'ecr:BatchCheckLayerAvailability',
          'ecr:InitiateLayerUpload',
          'ecr:UploadLayerPart',
          'ecr:CompleteLayerUpload',
          'ecr:PutImage',
          'ecr:TagResource',
        ],
        Resource: repoArn,
      },
      {
        Sid: 'SageMakerResources',
        Effect: 'Allow',
        Action: [
          'sagemaker:CreateModel',
          'sagemaker:DescribeModel',
          'sagemaker:DeleteModel',
          'sagemaker:CreateEndpointConfig',
          'sagemaker:DescribeEndpointConfig',
          'sagemaker:DeleteEndpointConfig',
          'sagemaker:CreateEndpoint',
          'sagemaker:DescribeEndpoint',
          'sagemaker:UpdateEndpoint',
          'sagemaker:DeleteEndpoint',
          'sagemaker:InvokeEndpoint',
          'sagemaker:InvokeEndpointAsync',
          'sagemaker:CreateTransformJob',
          'sagemaker:DescribeTransformJob',
          'sagemaker:AddTags',
          'sagemaker:ListTags',
        ],
        Resource: [sm('model'), sm('endpoint-config'), sm('endpoint'), sm('transform-job')],
      },
      { Sid: 'SageMakerList', Effect: 'Allow', Action: ['sagemaker:ListEndpoints', 'sagemaker:ListEndpointConfigs', 'sagemaker:ListModels'], Resource: '*' },
      {
        Sid: 'PassExecutionRole',
        Effect: 'Allow',
        Action: ['iam:PassRole'],
        Resource: role,
        Condition: { StringEquals: { 'iam:PassedToService': 'sagemaker.amazonaws.com' } },
      },
      { Sid: 'Quotas', Effect: 'Allow', Action: ['servicequotas:ListServiceQuotas', 'servicequotas:GetServiceQuota'], Resource: '*' },
      {
        Sid: 'Autoscaling',
        Effect: 'Allow',
        Action: [
          'application-autoscaling:RegisterScalableTarget',
          'application-autoscaling:DeregisterScalableTarget',
          'application-autoscaling:PutScalingPolicy',
          'application-autoscaling:DescribeScalableTargets',
          'application-autoscaling:DescribeScalingPolicies',
        ],
        Resource: '*',
        Condition: { StringEquals: { 'application-autoscaling:service-namespace': 'sagemaker' } },
      },
      { Sid: 'RollbackAlarms', Effect: 'Allow', Action: ['cloudwatch:DescribeAlarms'], Resource: '*' },
      {
        Sid: 'EndpointLogs',
        Effect: 'Allow',
        Action: ['logs:FilterLogEvents', 'logs:GetLogEvents', 'logs:DescribeLogStreams'],
        Resource: `arn:aws:logs:${region}:${account}:log-group:/aws/sagemaker/Endpoints/${config.name}*`,
      },
    ],
  };
  const executionRole = {
    Version: '2012-10-17',
    Statement: [
      { Sid: 'ReadModel', Effect: 'Allow', Action: ['s3:GetObject'], Resource: objects },
      ...(a.asyncOutput || a.dataCapture
        ? [
            {
              Sid: 'WriteResults',
              Effect: 'Allow',
              Action: ['s3:PutObject'],
              Resource: [a.asyncOutput, a.dataCapture?.destination]
                .filter((x): x is string => !!x)
                .map((u) => `arn:aws:s3:::${u.slice(5).replace(/\/+$/, '')}/*`),
            },
          ]
        : []),
      { Sid: 'EcrAuth', Effect: 'Allow', Action: ['ecr:GetAuthorizationToken'], Resource: '*' },
      { Sid: 'PullImage', Effect: 'Allow', Action: ['ecr:BatchGetImage', 'ecr:GetDownloadUrlForLayer', 'ecr:BatchCheckLayerAvailability'], Resource: repoArn },
      {
        Sid: 'Logs',
        Effect: 'Allow',
        Action: ['logs:CreateLogGroup', 'logs:CreateLogStream', 'logs:PutLogEvents', 'logs:DescribeLogStreams'],
        Resource: [
          `arn:aws:logs:${region}:${account}:log-group:/aws/sagemaker/Endpoints/${config.name}*`,
          `arn:aws:logs:${region}:${account}:log-group:/aws/sagemaker/TransformJobs*`,
        ],
      },
      {
        Sid: 'Metrics',
        Effect: 'Allow',
        Action: ['cloudwatch:PutMetricData'],
        Resource: '*',
        Condition: { StringEquals: { 'cloudwatch:namespace': ['/aws/sagemaker/Endpoints', 'AWS/SageMaker'] } },
      },
    ],
  };
  return { deployRole, executionRole };
}

export function renderIamPolicies(config: DeployConfig, account?: string): string {
  const p = iamPolicies(config, account);
  const trust = { Version: '2012-10-17', Statement: [{ Effect: 'Allow', Principal: { Service: 'sagemaker.amazonaws.com' }, Action: 'sts:AssumeRole' }] };
  return [
    '# deploy role (the identity that runs `deployer deploy`)',
    JSON.stringify(p.deployRole, null, 2),
    '',
    '# endpoint execution role (aws.roleArn; trust policy below)',
    JSON.stringify(p.executionRole, null, 2),
    '',
    '# execution role trust policy',
    JSON.stringify(trust, null, 2),
  ].join('\n');
}
