import { VadError, type DeployConfig } from '@vad/contracts';
import { dirname } from 'node:path';
import { AwsTarget, createAwsClients, createAwsServices, LocalTarget, workspaceStateDir, type AwsServices, type EndpointTarget } from '@vad/sagemaker-client';
import { pollInterval } from './specs';
import { defaultStateFile } from './state';

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
    // Local endpoints belong to the deploy state file that created them, and live by default in
    // a state dir of that file's folder: another checkout neither replaces nor stops them.
    const stateFile = defaultStateFile(config);
    return { target: new LocalTarget({ stateDir: config.local.stateDir ?? workspaceStateDir(dirname(stateFile)), owner: stateFile, workers: config.local.workers }) };
  }
  const region = config.aws.region;
  if (!region) throw new VadError('config_invalid', 'aws.region: required for target aws (or set AWS_REGION)');
  const clients = createAwsClients({ region });
  return { target: new AwsTarget({ region, clients, pollSeconds: pollInterval(config), maxWaitSeconds: config.maxWaitMinutes * 60 }), aws: createAwsServices({ region, clients }) };
}
