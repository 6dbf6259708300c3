import { isAlreadyExists } from '@vad/sagemaker-client';
import { endpointConfigSpec } from '../specs';
import type { DeployStep } from './types';
import { plannedCall } from './types';

/** `create-endpoint-config`: the variant (instance type and count, capture, async), read back once visible. */
export const createEndpointConfigStep: DeployStep<'create-endpoint-config'> = {
  id: 'create-endpoint-config',
  plan: ({ config, names, tags, controlPlane }) => ({
    title: `endpoint config ${names.endpointConfigName}`,
    calls: [
      plannedCall(controlPlane, 'CreateEndpointConfig', endpointConfigSpec(config, names, tags)),
      plannedCall(controlPlane, 'DescribeEndpointConfig', { EndpointConfigName: names.endpointConfigName }),
    ],
  }),
  async run({ config, target, names, tags, outputs }) {
    const spec = endpointConfigSpec(config, names, tags);
    try {
      outputs.endpointConfigArn = (await target.createEndpointConfig(spec)).endpointConfigArn;
    } catch (e) {
      if (!isAlreadyExists(e)) throw e;
    }
    // Read back for its ARN. (CreateEndpoint reads configs eventually consistently: the target
    // waits until the config is visible before CreateEndpoint, sagemaker-client's AwsTarget.)
    const described = await target.describeEndpointConfig(names.endpointConfigName);
    outputs.endpointConfigArn = described.endpointConfigArn;
    outputs.endpointConfigName = names.endpointConfigName;
    return outputs.endpointConfigArn;
  },
};
