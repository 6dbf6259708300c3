import { DeployConfigSchema } from '@vad/contracts';
import { iamPolicies } from './iam';

describe('iam', () => {
  it('scopes every resource to the bucket prefix, the repository, the name prefix and the log group', () => {
    const config = DeployConfigSchema.parse({
      target: 'aws',
      name: 'cam7',
      aws: {
        region: 'eu-west-1',
        bucket: 'models',
        prefix: 'vad',
        image: { build: { repository: 'vad-serve' } },
        roleArn: 'arn:aws:iam::123456789012:role/exec',
      },
    });
    const { deployRole, executionRole } = iamPolicies(config, '123456789012') as {
      deployRole: { Statement: { Sid: string; Resource: unknown; Action: string[] }[] };
      executionRole: { Statement: { Sid: string; Resource: unknown }[] };
    };
    const by = (p: { Statement: { Sid: string; Resource: unknown }[] }, sid: string) => p.Statement.find((s) => s.Sid === sid)!.Resource;
    expect(by(deployRole, 'ModelArtifacts')).toBe('arn:aws:s3:::models/vad/*');
    expect(by(deployRole, 'EcrRepository')).toBe('arn:aws:ecr:eu-west-1:123456789012:repository/vad-serve');
    expect(by(deployRole, 'SageMakerResources')).toEqual(
      expect.arrayContaining(['arn:aws:sagemaker:eu-west-1:123456789012:endpoint/cam7*', 'arn:aws:sagemaker:eu-west-1:123456789012:model/cam7*']),
    );
    expect(by(deployRole, 'PassExecutionRole')).toBe('arn:aws:iam::123456789012:role/exec');
    expect(by(executionRole, 'ReadModel')).toBe('arn:aws:s3:::models/vad/*');
    expect(JSON.stringify(executionRole)).not.toMatch(/sagemaker:Create|s3:PutObject/);
    expect(JSON.stringify(deployRole)).not.toMatch(/"Action":"\*"|"s3:\*"|"sagemaker:\*"/);
  });
});
