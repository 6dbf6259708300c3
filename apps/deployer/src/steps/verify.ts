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
    calls: [
      plannedCall(controlPlane, 'DescribeEndpoint', {
        EndpointName: names.endpointName,
        expect: { EndpointConfigName: names.endpointConfigName, ResolvedImage: plannedImageUri ?? null },
      }),
    ],
  }),
  async run({ target, names, outputs, record, report }) {
    const endpoint = await target.describeEndpoint(names.endpointName);
    record.endpoint = endpoint;
    if (endpoint.endpointConfigName !== names.endpointConfigName) {
      throw new SilentRollbackError(names.endpointName, names.endpointConfigName, endpoint.endpointConfigName, endpoint.failureReason);
    }
    if (endpoint.status !== 'InService')
      throw new EndpointFailedError(names.endpointName, endpoint.status, endpoint.failureReason ?? 'not InService after the wait');
    const digest = outputs.imageUri?.split('@')[1];
    const resolved = endpoint.variants.flatMap((v) => v.deployedImages.map((d) => d.resolvedImage)).filter((x): x is string => !!x);
    if (digest && resolved.length > 0 && !resolved.some((r) => r.endsWith(digest))) {
      throw new VadError('deploy_failed', `endpoint ${names.endpointName} runs ${resolved.join(', ')}, not the pushed ${digest}`);
    }
    // No DeployedImages (moto; an endpoint that has not resolved its image yet): say so, never a silent pass.
    const unverified = digest && resolved.length === 0 ? `image ${digest} NOT verified: DescribeEndpoint returned no DeployedImages` : undefined;
    if (unverified) report.note(unverified);
    return `serves ${endpoint.endpointConfigName}${resolved.length > 0 ? ` (${resolved[0]})` : ''}${unverified ? ` (${unverified})` : ''}`;
  },
};
