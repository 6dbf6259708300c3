import type { DeployConfig } from '@vad/contracts';
import type { DeployOutcome } from './deploy';
import { defaultStateFile } from './state';

/**
 * `npx nx run deployer:<command>` with the flags that find this endpoint again: target, name,
 * region, state file and local state dir where they differ from what a bare command assumes, so
 * a copied hint acts on the endpoint just deployed and not on the default one.
 */
export function commandHint(command: 'invoke' | 'status' | 'destroy', config: DeployConfig, stateFile: string): string {
  const args: string[] = [];
  if (config.target === 'aws') args.push('--target aws');
  if (config.name !== 'vad-serve') args.push(`--name ${config.name}`);
  if (config.target === 'aws' && config.aws.region && config.aws.region !== process.env['AWS_REGION']) args.push(`--region ${config.aws.region}`);
  if (stateFile !== defaultStateFile({ ...config, stateFile: undefined })) args.push(`--state-file ${stateFile}`);
  if (config.target === 'local' && config.local.stateDir) args.push(`--state-dir ${config.local.stateDir}`);
  return `npx nx run deployer:${command}${args.length > 0 ? ` -- ${args.join(' ')}` : ''}`;
}

/** The last thing `deploy` prints: what exists now and how to call it. */
export function renderSummary(config: DeployConfig, out: DeployOutcome, stateFile: string): string {
  const e = out.endpoint;
  const o = out.outputs;
  const lines = [
    '',
    `${out.action === 'none' ? 'unchanged' : out.action === 'create' ? 'created' : 'updated'}: endpoint ${out.names.endpointName} (${config.target})${out.resumedFrom ? `, resumed at ${out.resumedFrom}` : ''}`,
    `  status          ${e?.status ?? 'InService'}`,
    `  endpoint        ${out.names.endpointName}${e?.endpointArn ? `  ${e.endpointArn}` : ''}`,
    `  endpoint config ${e?.endpointConfigName ?? out.names.endpointConfigName}${o.endpointConfigArn ? `  ${o.endpointConfigArn}` : ''}`,
    `  model           ${out.names.modelName}${o.modelArn ? `  ${o.modelArn}` : ''}`,
    `  archive sha256  ${out.plan.modelSha256}`,
  ];
  if (o.modelDataUrl) lines.push(`  model data      ${o.modelDataUrl}`);
  if (o.imageUri) lines.push(`  image           ${o.imageUri}`);
  if (e?.url) lines.push(`  url             ${e.url}`);
  lines.push(`  state file      ${stateFile}`);
  lines.push('invoke it:');
  lines.push(`  ${commandHint('invoke', config, stateFile)}   # the sample clip, scores + PNG`);
  if (config.target === 'local' && e?.url) {
    lines.push(
      `  curl -s -X POST ${e.url}/invocations -F f=@libs/vad-core/assets/sample-clip/frame_0000.jpg -F f=@libs/vad-core/assets/sample-clip/frame_0001.jpg`,
    );
  } else if (config.target === 'aws') {
    lines.push(
      `  aws sagemaker-runtime invoke-endpoint --region ${config.aws.region} --endpoint-name ${out.names.endpointName} --content-type application/json --body fileb://request.json response.json`,
    );
  }
  lines.push(`remove it: ${commandHint('destroy', config, stateFile)}`);
  return lines.join('\n');
}
