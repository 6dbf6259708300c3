import { VadError, type DeployConfig } from '@vad/contracts';
import { AwsTarget, createAwsClients, createAwsServices, LocalTarget, type AwsServices, type EndpointTarget } from '@vad/sagemaker-client';
import { pollInterval } from './specs';

/**
 * The deployer's only knowledge of where endpoints live: `local` (server processes on loopback,
 * @vad/sagemaker-client's LocalTarget) or `aws` (AwsTarget through the same interface, plus the
 * S3/ECR/quota/autoscaling services), sharing one set of SDK clients.
 */
export interface Targets {
  readonly target: EndpointTarget;
  readonly aws?: AwsServices;
}

export async function createTargets(config: DeployConfig): Promise<Targets> {
  if (config.target === 'local') {
    return { target: new LocalTarget({ ...(config.local.stateDir ? { stateDir: config.local.stateDir } : {}), workers: config.local.workers }) };
  }
  const region = config.aws.region;
  if (!region) throw new VadError('config_invalid', 'aws.region: required for target aws (or set AWS_REGION)');
  const clients = createAwsClients({ region });
  return { target: new AwsTarget({ region, clients, pollSeconds: pollInterval(config), maxWaitSeconds: config.maxWaitMinutes * 60 }), aws: createAwsServices({ region, clients }) };
}
