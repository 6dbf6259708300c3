import { DEPLOY_TAGS, type DeployConfig, type Deployed } from '@vad/contracts';
import { NotFoundError, SageMakerClientError, type EndpointTarget } from '@vad/sagemaker-client';
import type { Reporter } from './progress';

/**
 * Removing versions a deploy no longer wants: a superseded version after a successful deploy,
 * and what a failed attempt created. Only resources that carry our managed tag for this
 * endpoint, and never the config that serves.
 */
async function bestEffort(what: string, fn: () => Promise<unknown>, reporter: Reporter): Promise<void> {
  try {
    await fn();
  } catch (e) {
    if (e instanceof NotFoundError) return;
    reporter.info(`  cleanup: could not ${what}: ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`);
  }
}

/** Deletes a failed attempt's model + config, never one the endpoint still uses. */
export async function deleteVersion(
  target: EndpointTarget,
  modelName: string | undefined,
  configName: string | undefined,
  inUse: string | undefined,
  reporter: Reporter,
): Promise<void> {
  if (configName && configName !== inUse) await bestEffort(`delete endpoint config ${configName}`, () => target.deleteEndpointConfig(configName), reporter);
  if (modelName && modelName !== inUse) await bestEffort(`delete model ${modelName}`, () => target.deleteModel(modelName), reporter);
}

/** Deletes the endpoint a failed create made, best effort (the error that failed the deploy is what the user sees). */
export async function deleteCreatedEndpoint(
  target: EndpointTarget,
  endpointName: string,
  wait: { pollSeconds: number; maxWaitSeconds: number },
  reporter: Reporter,
): Promise<void> {
  await bestEffort(
    `delete endpoint ${endpointName}`,
    async () => {
      await target.deleteEndpoint(endpointName);
      await target.waitForEndpointDeleted(endpointName, wait);
    },
    reporter,
  );
}

/** Garbage-collects a superseded version. Returns whether nothing of it is left. */
export async function collectSuperseded(target: EndpointTarget, config: DeployConfig, s: Deployed, serving: string, reporter: Reporter): Promise<boolean> {
  if (s.endpointConfigName === serving || s.modelName === serving) return true;
  const ours = await target
    .listTaggedResources({ key: DEPLOY_TAGS.endpoint, value: config.name })
    .catch(() => [] as { name: string; tags: Record<string, string> }[]);
  const tagged = new Set(ours.filter((r) => r.tags[DEPLOY_TAGS.managed] === 'true').map((r) => r.name));
  try {
    if (tagged.has(s.endpointConfigName))
      await target.deleteEndpointConfig(s.endpointConfigName).catch((e) => {
        if (!(e instanceof NotFoundError)) throw e;
      });
    if (tagged.has(s.modelName))
      await target.deleteModel(s.modelName).catch((e) => {
        if (!(e instanceof NotFoundError)) throw e;
      });
    return true;
  } catch (e) {
    reporter.info(`  kept superseded ${s.endpointConfigName} for now: ${e instanceof SageMakerClientError ? e.message.split('\n')[0] : String(e)}`);
    return false;
  }
}
