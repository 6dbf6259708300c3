import { describeWait } from '../progress';
import type { DeployStep } from './types';
import { plannedCall } from './types';

/** `wait`: poll until InService on the new config; Failed fails fast with the reason and a log excerpt. */
export const waitStep: DeployStep<'wait'> = {
  id: 'wait',
  abandonOnFailure: true,
  plan: ({ config, names, controlPlane, pollSeconds }) => ({
    title: 'wait until InService',
    calls: [
      plannedCall(controlPlane, 'DescribeEndpoint', {
        EndpointName: names.endpointName,
        every: `${pollSeconds} s`,
        maxWait: `${config.maxWaitMinutes} min`,
        failFast: 'Failed → FailureReason + container log excerpt',
      }),
    ],
  }),
  async run({ target, names, record, report, pollSeconds, maxWaitSeconds }) {
    const endpoint = await target.waitForEndpoint(names.endpointName, {
      pollSeconds,
      maxWaitSeconds,
      expectedEndpointConfigName: names.endpointConfigName,
      onProgress: (p) => report.note(describeWait(p)),
    });
    record.endpoint = endpoint;
    return `InService on ${endpoint.endpointConfigName}`;
  },
};
