import type { DeployPlan } from '@vad/contracts';

/** The plan as the text `deployer plan` prints: one line per step, its calls indented below. */
export function renderPlan(plan: DeployPlan): string {
  const lines = [
    `plan: ${plan.action === 'none' ? 'nothing to change' : plan.action} endpoint ${plan.endpointName} on ${plan.target}${plan.resumeFrom ? ` (resuming at ${plan.resumeFrom})` : ''}`,
    `  model ${plan.modelName}, config ${plan.endpointConfigName}, fingerprint ${plan.fingerprint}, archive (model.tar.gz) sha256 ${plan.modelSha256}`,
  ];
  plan.steps.forEach((s, i) => {
    lines.push(`${String(i + 1).padStart(2)}. ${s.id.padEnd(22)} ${s.skip ? `(skip: ${s.skip})` : s.title}`);
    if (!s.skip) for (const c of s.calls) lines.push(`      ${c.service}:${c.operation} ${JSON.stringify(c.input)}`);
  });
  return lines.join('\n');
}
