import { resolve } from 'node:path';
import { VadError } from '@vad/contracts';
import { requestLimitsFor } from '../clip-requests';
import { invokeClip, readClip } from '../smoke';
import type { DeployStep } from './types';
import { plannedCall } from './types';

/** `smoke-test`: the sample clip (or --clip) through the live endpoint, and the annotated PNG. */
export const smokeTestStep: DeployStep<'smoke-test'> = {
  id: 'smoke-test',
  whenUnchanged: true,
  plan: ({ config, aws, names }) => {
    if (config.smoke.skip) return { title: 'smoke invoke', calls: [], skip: 'disabled (--no-smoke)' };
    if (aws && config.aws.asyncOutput) return { title: 'smoke invoke', calls: [], skip: 'async endpoint: use `invoke --async`' };
    return {
      title: 'invoke the sample clip, write the annotated PNG',
      calls: [
        plannedCall(aws ? 'sagemaker-runtime' : 'local', 'InvokeEndpoint', {
          EndpointName: names.endpointName,
          ContentType: 'application/json',
          Accept: 'application/json, then image/png',
        }),
      ],
    };
  },
  async run({ config, target, names, outputs, record }) {
    const smoke = await invokeClip(target, names.endpointName, await readClip(config.smoke.clip), resolve(config.smoke.png), {
      limits: requestLimitsFor(config),
    });
    // The deploy's check of the endpoint fails when the annotated frame is not a PNG (an
    // emulator's canned body, an error page); `invoke` only reports it (smoke.ts notAPng).
    if (smoke.pngRefused) throw new VadError('deploy_failed', `smoke test: ${smoke.pngRefused}; nothing written to ${config.smoke.png}`);
    record.smoke = smoke;
    outputs.smoke = { worstFrame: smoke.worst.frame, worstScore: smoke.worst.score, latencyMs: smoke.latencyMs, ...(smoke.png ? { png: smoke.png } : {}) };
    return `${smoke.scores.length} frames scored in ${smoke.latencyMs} ms`;
  },
};
