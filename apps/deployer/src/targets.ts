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
    return {
      target: new LocalTarget({ stateDir: config.local.stateDir ?? workspaceStateDir(dirname(stateFile)), owner: stateFile, workers: config.local.workers }),
    };
  }
  const region = config.aws.region;
  if (!region) throw new VadError('config_invalid', 'aws.region: required for target aws (or set AWS_REGION)');
  const clients = createAwsClients({ region });
  const retry = retryFromEnv(process.env);
  return {
    target: new AwsTarget({ region, clients, ...(retry ? { retry } : {}), pollSeconds: pollInterval(config), maxWaitSeconds: config.maxWaitMinutes * 60 }),
    aws: createAwsServices({ region, clients }),
  };
}

/**
 * VAD_AWS_RETRY_BASE_MS: the first backoff of the control plane's one retry layer (default
 * 1000 ms, doubling, 6 attempts). Against a loopback server (moto) a smaller base keeps a
 * throttled run short; the attempt count does not change.
 */
export function retryFromEnv(env: NodeJS.ProcessEnv): { baseDelayMs: number } | undefined {
  const raw = env['VAD_AWS_RETRY_BASE_MS']?.trim();
  if (!raw) return undefined;
  const ms = Number(raw);
  if (!Number.isInteger(ms) || ms < 0)
    throw new VadError('config_invalid', `VAD_AWS_RETRY_BASE_MS: expected a whole number of milliseconds ≥ 0, got ${JSON.stringify(raw)}`);
  return { baseDelayMs: ms };
}
