import { VadError, type DeployConfig } from '@vad/contracts';
import type { Targets } from '../targets';

/** `autoscale`: target tracking on SageMakerVariantInvocationsPerInstance with min/max instances. */
export async function runAutoscale(config: DeployConfig, { target, aws }: Targets, options: { off?: boolean } = {}): Promise<string> {
  if (config.target !== 'aws' || !aws) throw new VadError('bad_argument', 'autoscale applies to target aws (a local endpoint is one server process)');
  await target.describeEndpoint(config.name);
  if (options.off) {
    await aws.deregisterAutoscaling(config.name, config.aws.variant);
    return `autoscaling removed from ${config.name}/${config.aws.variant}`;
  }
  const a = config.aws.autoscale;
  if (!a) throw new VadError('config_invalid', 'aws.autoscale: set min and max (deploy.yaml aws.autoscale, or --autoscale-min/--autoscale-max)');
  const r = await aws.registerAutoscaling(config.name, config.aws.variant, a);
  return `autoscaling ${config.name}/${config.aws.variant}: ${a.min}–${a.max} instances, target ${a.targetInvocationsPerInstance} invocations per instance per minute${r.policyArn ? `\n  policy ${r.policyArn}` : ''}`;
}
