import { DEPLOY_TAGS, type DeployConfig } from '@vad/contracts';
import { NotFoundError, type TaggedResource } from '@vad/sagemaker-client';
import { silentReporter, type Reporter } from '../progress';
import { pollInterval } from '../specs';
import type { StateStore } from '../state';
import type { Targets } from '../targets';

/**
 * `destroy`: endpoint → endpoint configs → models, and only resources that carry
 * `vad-serve:managed=true` (and, without --all, `vad-serve:endpoint=<name>`). A resource with the
 * endpoint's name but without our tags is reported and left alone.
 */
export async function runDestroy(
  config: DeployConfig,
  { target, aws }: Targets,
  store: StateStore,
  options: { all?: boolean; reporter?: Reporter } = {},
): Promise<string> {
  const reporter = options.reporter ?? silentReporter;
  const filter = options.all ? { key: DEPLOY_TAGS.managed, value: 'true' } : { key: DEPLOY_TAGS.endpoint, value: config.name };
  const found = await target.listTaggedResources(filter);
  // Double-check the tags we rely on: destroy never acts on a resource that is not ours.
  const ours = found.filter((r) => r.tags[DEPLOY_TAGS.managed] === 'true' && (options.all || r.tags[DEPLOY_TAGS.endpoint] === config.name));
  const byKind = (k: TaggedResource['kind']) => ours.filter((r) => r.kind === k);
  const lines: string[] = [];
  const gone = async (fn: () => Promise<unknown>) => {
    try {
      await fn();
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  };

  if (!options.all && !byKind('endpoint').some((r) => r.name === config.name)) {
    try {
      const e = await target.describeEndpoint(config.name);
      lines.push(`left alone: endpoint ${e.endpointName} exists but does not carry our tags (${DEPLOY_TAGS.managed}=true) — not created by this deployer`);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  for (const r of byKind('endpoint')) {
    const step = reporter.step('destroy', `endpoint ${r.name}`);
    if (aws && config.target === 'aws') await aws.deregisterAutoscaling(r.name, config.aws.variant).catch(() => undefined);
    await gone(() => target.deleteEndpoint(r.name));
    await target.waitForEndpointDeleted(r.name, {
      maxWaitSeconds: config.maxWaitMinutes * 60,
      ...(config.target === 'aws' ? { pollSeconds: pollInterval(config) } : {}),
    });
    step.done();
    lines.push(`deleted endpoint ${r.name}`);
  }
  for (const r of byKind('endpoint-config')) {
    await gone(() => target.deleteEndpointConfig(r.name));
    lines.push(`deleted endpoint config ${r.name}`);
  }
  for (const r of byKind('model')) {
    await gone(() => target.deleteModel(r.name));
    lines.push(`deleted model ${r.name}`);
  }
  if (!options.all || config.name) await store.remove();
  if (lines.length === 0) lines.push(`nothing to destroy: no resources tagged ${filter.key}=${filter.value} on ${config.target}`);
  return lines.join('\n');
}
