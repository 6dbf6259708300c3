import type { DeployStepId } from '@vad/contracts';
import type { DeployStep } from '../steps';

/**
 * A deploy step that lives in this one file and nowhere else (tests): it plans one call and, when
 * run, records the endpoint it saw. The runner gets it through `DeployDeps.steps`.
 */
export function dummyStep(seen: string[]): DeployStep {
  return {
    id: 'dummy' as DeployStepId,
    plan: ({ names }) => ({
      title: `say hello to ${names.endpointName}`,
      calls: [{ service: 'local', operation: 'Hello', input: { endpoint: names.endpointName } }],
    }),
    async run({ names, outputs }) {
      seen.push(`${names.endpointName} ${outputs.endpointConfigName ?? ''}`);
      return 'hello';
    },
  };
}
