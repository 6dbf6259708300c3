import { resolve } from 'node:path';
import { VadError, type DeployConfig } from '@vad/contracts';
import { NotFoundError } from '@vad/sagemaker-client';
import type { Targets } from '../targets';
import { requestLimitsFor, progressOnStderr } from '../clip-requests';
import { invokeClip, readClip, type SmokeResult } from '../smoke';

/** `invoke`: the sample clip (or --clip) through the endpoint; scores and the annotated PNG. */
export async function runInvoke(config: DeployConfig, { target }: Targets): Promise<SmokeResult> {
  try {
    await target.describeEndpoint(config.name);
  } catch (e) {
    if (e instanceof NotFoundError)
      throw new VadError('not_deployed', `endpoint ${config.name} does not exist on ${config.target}; deploy it first: npx nx run deployer:deploy`);
    throw e;
  }
  return invokeClip(target, config.name, await readClip(config.smoke.clip), resolve(config.smoke.png), {
    limits: requestLimitsFor(config),
    onProgress: progressOnStderr('invoke'),
  });
}
