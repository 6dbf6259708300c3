import { VadError } from '@vad/contracts';
import { EndpointFailedError, SilentRollbackError } from '@vad/sagemaker-client';
import type { DeployStep } from './types';
import { plannedCall } from './types';

/**
 * `verify`: the endpoint serves the new config (SageMaker rolls a failed update back silently)
 * and runs the pushed image digest. Once done the new version is committed.
 */
export const verifyStep: DeployStep<'verify'> = {
  id: 'verify',
  abandonOnFailure: true,
  commits: true,
  plan: ({ names, controlPlane, plannedImageUri }) => ({
    title: 'endpoint serves the new config (no silent rollback)',
    calls: [plannedCall(controlPlane, 'DescribeEndpoint', { EndpointName: names.endpointName, expect: { EndpointConfigName: names.endpointConfigName, ResolvedImage: plannedImageUri ?? null } })],
  }),
  async run({ target, names, outputs, record }) {
    const endpoint = await target.describeEndpoint(names.endpointName);
    record.endpoint = endpoint;
    if (endpoint.endpointConfigName !== names.endpointConfigName) {
      throw new SilentRollbackError(names.endpointName, names.endpointConfigName, endpoint.endpointConfigName, endpoint.failureReason);
    }
    if (endpoint.status !== 'InService') throw new EndpointFailedError(names.endpointName, endpoint.status, endpoint.failureReason ?? 'not InService after the wait');
    const digest = outputs.imageUri?.split('@')[1];
    const resolved = endpoint.variants.flatMap((v) => v.deployedImages.map((d) => d.resolvedImage)).filter((x): x is string => !!x);
    if (digest && resolved.length > 0 && !resolved.some((r) => r.endsWith(digest))) {
      throw new VadError('deploy_failed', `endpoint ${names.endpointName} runs ${resolved.join(', ')}, not the pushed ${digest}`);
    }
    return `serves ${endpoint.endpointConfigName}${resolved.length > 0 ? ` (${resolved[0]})` : ''}`;
  },
};
