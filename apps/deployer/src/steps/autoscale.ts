import type { DeployStep } from './types';
import { plannedCall } from './types';

/** `autoscale`: target tracking on invocations per instance (Application Auto Scaling). */
export const autoscaleStep: DeployStep<'autoscale'> = {
  id: 'autoscale',
  plan: ({ config, aws, names }) => {
    const a = config.aws;
    if (!aws || !a.autoscale) return { title: 'autoscale', calls: [], skip: aws ? 'no aws.autoscale configured' : 'local target: one process per endpoint' };
    return {
      title: `autoscale ${a.autoscale.min}–${a.autoscale.max} instances`,
      calls: [
        plannedCall('application-autoscaling', 'RegisterScalableTarget', {
          ServiceNamespace: 'sagemaker',
          ResourceId: `endpoint/${names.endpointName}/variant/${a.variant}`,
          ScalableDimension: 'sagemaker:variant:DesiredInstanceCount',
          MinCapacity: a.autoscale.min,
          MaxCapacity: a.autoscale.max,
        }),
        plannedCall('application-autoscaling', 'PutScalingPolicy', {
          PolicyType: 'TargetTrackingScaling',
          PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance',
          TargetValue: a.autoscale.targetInvocationsPerInstance,
        }),
      ],
    };
  },
  async run({ config, aws, names }) {
    const r = await aws!.registerAutoscaling(names.endpointName, config.aws.variant, config.aws.autoscale!);
    return r.policyArn;
  },
};
