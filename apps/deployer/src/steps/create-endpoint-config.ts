import { NotFoundError, isAlreadyExists } from '@vad/sagemaker-client';
import { withRetry } from '../retry';
import { endpointConfigSpec } from '../specs';
import type { DeployStep } from './types';
import { plannedCall } from './types';

/** `create-endpoint-config`: the variant (instance type and count, capture, async), read back once visible. */
export const createEndpointConfigStep: DeployStep<'create-endpoint-config'> = {
  id: 'create-endpoint-config',
  plan: ({ config, names, tags, controlPlane }) => ({
    title: `endpoint config ${names.endpointConfigName}`,
    calls: [plannedCall(controlPlane, 'CreateEndpointConfig', endpointConfigSpec(config, names, tags)), plannedCall(controlPlane, 'DescribeEndpointConfig', { EndpointConfigName: names.endpointConfigName })],
  }),
  async run({ config, target, names, tags, outputs, retry }) {
    const spec = endpointConfigSpec(config, names, tags);
    try {
      outputs.endpointConfigArn = (await withRetry(() => target.createEndpointConfig(spec), retry)).endpointConfigArn;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    // CreateEndpoint reads the config eventually consistently: make sure it is visible first.
    const described = await withRetry(() => target.describeEndpointConfig(names.endpointConfigName), { ...retry, retryOn: (e) => e instanceof NotFoundError });
    outputs.endpointConfigArn = described.endpointConfigArn;
    outputs.endpointConfigName = names.endpointConfigName;
    return outputs.endpointConfigArn;
  },
};
