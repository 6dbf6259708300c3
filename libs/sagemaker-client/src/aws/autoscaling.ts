import type { ApplicationAutoScalingClient } from '@aws-sdk/client-application-auto-scaling';
import { NotFoundError, ValidationError } from '../errors';
import { DEFAULT_VARIANT_NAME } from '../rules';
import { mapAwsError } from './map-error';
import { autoscalingSdk } from './sdk';

export interface TargetTrackingSpec {
  endpointName: string;
  variantName?: string;
  minInstances: number;
  maxInstances: number;
  /** Invocations per instance per minute to hold (AWS's doc example: 70). */
  targetInvocationsPerInstance: number;
  scaleInCooldownSeconds?: number;
  scaleOutCooldownSeconds?: number;
  policyName?: string;
}

const DIMENSION = 'sagemaker:variant:DesiredInstanceCount';
const resourceId = (endpointName: string, variantName = DEFAULT_VARIANT_NAME): string => `endpoint/${endpointName}/variant/${variantName}`;

/** Registers the variant as a scalable target and puts a target-tracking policy on SageMakerVariantInvocationsPerInstance. */
export async function putTargetTracking(client: ApplicationAutoScalingClient, s: TargetTrackingSpec): Promise<{ policyArn?: string; resourceId: string }> {
  if (s.minInstances < 1 || s.maxInstances < s.minInstances)
    throw new ValidationError('autoscaling needs 1 ≤ minInstances ≤ maxInstances (0 only for async endpoints)');
  const ResourceId = resourceId(s.endpointName, s.variantName);
  try {
    await client.send(
      new (autoscalingSdk().RegisterScalableTargetCommand)({
        ServiceNamespace: 'sagemaker',
        ResourceId,
        ScalableDimension: DIMENSION,
        MinCapacity: s.minInstances,
        MaxCapacity: s.maxInstances,
      }),
    );
    const o = await client.send(
      new (autoscalingSdk().PutScalingPolicyCommand)({
        PolicyName: s.policyName ?? `${s.endpointName}-invocations`,
        ServiceNamespace: 'sagemaker',
        ResourceId,
        ScalableDimension: DIMENSION,
        PolicyType: 'TargetTrackingScaling',
        TargetTrackingScalingPolicyConfiguration: {
          TargetValue: s.targetInvocationsPerInstance,
          PredefinedMetricSpecification: { PredefinedMetricType: 'SageMakerVariantInvocationsPerInstance' },
          ScaleInCooldown: s.scaleInCooldownSeconds ?? 300,
          ScaleOutCooldown: s.scaleOutCooldownSeconds ?? 300,
        },
      }),
    );
    return { policyArn: o.PolicyARN, resourceId: ResourceId };
  } catch (e) {
    throw mapAwsError(e, { resourceKind: 'scalable-target', resourceName: ResourceId });
  }
}

/** Removes the policy and the scalable target (missing ones are fine). */
export async function removeTargetTracking(
  client: ApplicationAutoScalingClient,
  endpointName: string,
  variantName?: string,
  policyName = `${endpointName}-invocations`,
): Promise<void> {
  const ResourceId = resourceId(endpointName, variantName);
  for (const cmd of [
    new (autoscalingSdk().DeleteScalingPolicyCommand)({ PolicyName: policyName, ServiceNamespace: 'sagemaker', ResourceId, ScalableDimension: DIMENSION }),
    new (autoscalingSdk().DeregisterScalableTargetCommand)({ ServiceNamespace: 'sagemaker', ResourceId, ScalableDimension: DIMENSION }),
  ]) {
    try {
      await client.send(cmd as never);
    } catch (e) {
      const m = mapAwsError(e);
      if (!(m instanceof NotFoundError) && (e as Error).name !== 'ObjectNotFoundException') throw m;
    }
  }
}
