import { DEPLOY_TAGS, type DeployConfig } from '@vad/contracts';
import { NotFoundError, type EndpointDescription } from '@vad/sagemaker-client';
import type { StateStore } from '../state';
import type { Targets } from '../targets';

/** `status`: the endpoint as the target sees it, what our state file says, and our tagged resources. */
export async function runStatus(config: DeployConfig, { target }: Targets, store: StateStore): Promise<string> {
  const lines: string[] = [];
  let e: EndpointDescription | undefined;
  try {
    e = await target.describeEndpoint(config.name);
  } catch (err) {
    if (!(err instanceof NotFoundError)) throw err;
  }
  if (!e) lines.push(`endpoint ${config.name} (${config.target}): not deployed`);
  else {
    lines.push(`endpoint ${e.endpointName} (${config.target}): ${e.status}${e.failureReason ? ` — ${e.failureReason}` : ''}`);
    lines.push(`  arn             ${e.endpointArn}`);
    lines.push(`  endpoint config ${e.endpointConfigName}${e.pendingEndpointConfigName ? ` (updating to ${e.pendingEndpointConfigName})` : ''}`);
    if (e.url) lines.push(`  url             ${e.url}`);
    // A shared local state dir holds other workspaces' endpoints too: say whose this one is.
    if (e.owner === store.path) lines.push(`  owner           this workspace (${e.owner})`);
    else if (e.owner)
      lines.push(
        `  owner           ANOTHER WORKSPACE: ${e.owner} — this endpoint and its config are not this state file's; deploy and destroy from here are refused`,
      );
    for (const v of e.variants) {
      lines.push(
        `  variant ${v.variantName}: ${v.currentInstanceCount ?? '?'}/${v.desiredInstanceCount ?? '?'} instances${v.variantStatus.length ? `, ${v.variantStatus.map((s) => s.status).join(', ')}` : ''}`,
      );
      for (const d of v.deployedImages) if (d.resolvedImage) lines.push(`    image ${d.resolvedImage}`);
    }
  }
  const state = await store.load();
  if (state?.current)
    lines.push(`  deployed        ${state.current.modelName} (archive sha256 ${state.current.modelSha256.slice(0, 16)}…) at ${state.current.at}`);
  if (state?.attempt) {
    lines.push(
      `  interrupted     deploy of ${state.attempt.fingerprint} (${state.attempt.action}), done: ${state.attempt.done.join(', ') || 'nothing'}${state.attempt.failed ? `; failed at ${state.attempt.failed.step}: ${state.attempt.failed.message}` : ''} — run deploy again to resume`,
    );
  }
  const ours = (await target.listTaggedResources({ key: DEPLOY_TAGS.endpoint, value: config.name })).filter((r) => r.tags[DEPLOY_TAGS.managed] === 'true');
  lines.push(`managed resources (${ours.length}):`);
  for (const r of ours) lines.push(`  ${r.kind.padEnd(16)} ${r.name}${r.status ? ` (${r.status})` : ''}`);
  lines.push(`state file: ${store.path}`);
  return lines.join('\n');
}
