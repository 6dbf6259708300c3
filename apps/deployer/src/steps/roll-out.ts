import { describeOrUndefined } from '../endpoint';
import { deploymentSpec } from '../specs';
import type { DeployStep } from './types';
import { plannedCall } from './types';

/**
 * `roll-out`: CreateEndpoint, or UpdateEndpoint (blue/green, with the rollout's traffic shifting)
 * when the endpoint exists. A Failed endpoint can only be deleted (notes §5.4), so it is deleted
 * and created again.
 */
export const rollOutStep: DeployStep<'roll-out'> = {
  id: 'roll-out',
  plan: ({ config, aws, names, action, tags, controlPlane }) => {
    const deployment = deploymentSpec(config);
    const update = action === 'update';
    return {
      title: update
        ? `update endpoint ${names.endpointName} (blue/green${deployment?.trafficRouting ? `, ${deployment.trafficRouting.type}` : ''})`
        : `create endpoint ${names.endpointName}`,
      calls: [
        plannedCall(controlPlane, 'DescribeEndpoint', { EndpointName: names.endpointName }),
        update
          ? plannedCall(controlPlane, 'UpdateEndpoint', {
              endpointName: names.endpointName,
              endpointConfigName: names.endpointConfigName,
              retainAllVariantProperties: !!config.aws.autoscale && aws,
              ...(deployment ? { deployment } : {}),
            })
          : plannedCall(controlPlane, 'CreateEndpoint', {
              endpointName: names.endpointName,
              endpointConfigName: names.endpointConfigName,
              ...(deployment ? { deployment } : {}),
              tags,
            }),
      ],
    };
  },
  async run({ config, target, names, tags, outputs, record, report, pollSeconds, maxWaitSeconds }) {
    const now = await describeOrUndefined(target, names.endpointName);
    if (now && (now.endpointConfigName === names.endpointConfigName || now.pendingEndpointConfigName === names.endpointConfigName)) {
      return `already rolling out ${names.endpointConfigName} (${now.status})`;
    }
    const deployment = deploymentSpec(config);
    if (now && now.status === 'Failed') {
      report.note(`endpoint ${names.endpointName} is Failed (${now.failureReason ?? 'no reason'}): deleting it first`);
      await target.deleteEndpoint(names.endpointName);
      await target.waitForEndpointDeleted(names.endpointName, { pollSeconds, maxWaitSeconds });
    }
    if (!now || now.status === 'Failed') {
      record.action = 'create';
      outputs.endpointArn = (
        await target.createEndpoint({
          endpointName: names.endpointName,
          endpointConfigName: names.endpointConfigName,
          ...(deployment ? { deployment } : {}),
          tags,
        })
      ).endpointArn;
      return `CreateEndpoint ${names.endpointName}`;
    }
    record.action = 'update';
    outputs.previousConfigName = now.endpointConfigName;
    outputs.endpointArn = (
      await target.updateEndpoint({
        endpointName: names.endpointName,
        endpointConfigName: names.endpointConfigName,
        retainAllVariantProperties: config.target === 'aws' && !!config.aws.autoscale,
        ...(deployment ? { deployment } : {}),
      })
    ).endpointArn;
    return `UpdateEndpoint ${names.endpointName}: ${now.endpointConfigName} → ${names.endpointConfigName}`;
  },
};
