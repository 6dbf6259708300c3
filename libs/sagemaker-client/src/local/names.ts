/** SageMaker-shaped names of local resources: the account and region a local ARN carries. */

export const ACCOUNT = '000000000000';
export const REGION = 'local';

export function arn(kind: string, name: string): string {
  return `arn:aws:sagemaker:${REGION}:${ACCOUNT}:${kind}/${name.toLowerCase()}`;
}

export function now(): string {
  return new Date().toISOString();
}
