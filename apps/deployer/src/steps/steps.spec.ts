import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEPLOY_STEPS, DeployConfigSchema, type DeployState } from '@vad/contracts';
import { planDeploy, runDeploy } from '../deploy';
import { recordingReporter } from '../progress';
import { dummyStep } from '../testing/dummy-step';
import { MemoryTarget } from '../testing/memory-target';
import { DEPLOY_STEP_MODULES } from '.';

/**
 * The runner knows the steps only through the registry: its order is the contracts' DEPLOY_STEPS,
 * and a step added in one file shows up in `plan` and runs in `deploy`, in its place.
 */
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vad-steps-spec-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

/** The state file without its schema (which only admits DEPLOY_STEPS ids). */
function memoryStore(path: string) {
  let saved: DeployState | undefined;
  return { path, load: async () => saved, save: async (s: DeployState) => void (saved = structuredClone(s)), saved: () => saved };
}

describe('deploy step registry', () => {
  it('has one module per id of DEPLOY_STEPS, in that order', () => {
    expect(DEPLOY_STEP_MODULES.map((s) => s.id)).toEqual([...DEPLOY_STEPS]);
    for (const s of DEPLOY_STEP_MODULES) {
      expect(typeof s.plan).toBe('function');
      expect(typeof s.run).toBe('function');
    }
  });

  it('a step added in one file is listed by plan and run by deploy, in its place', async () => {
    const config = DeployConfigSchema.parse({ target: 'local', name: 'vad-dummy', smoke: { skip: true }, stateFile: join(dir, 'state.json') });
    const seen: string[] = [];
    const at = DEPLOY_STEPS.indexOf('verify') + 1;
    const steps = [...DEPLOY_STEP_MODULES.slice(0, at), dummyStep(seen), ...DEPLOY_STEP_MODULES.slice(at)];
    const target = new MemoryTarget();
    const store = memoryStore(join(dir, 'state.json'));

    const ctx = await planDeploy(config, { target, store, steps, pollSeconds: 0.01 });
    expect(ctx.plan.steps.map((s) => s.id)).toEqual([...DEPLOY_STEPS.slice(0, at), 'dummy', ...DEPLOY_STEPS.slice(at)]);
    expect(ctx.plan.steps[at]).toMatchObject({ title: 'say hello to vad-dummy', calls: [{ operation: 'Hello' }] });
    expect(target.mutations()).toEqual([]);

    const reporter = recordingReporter();
    const out = await runDeploy(config, { target, store, steps, reporter, pollSeconds: 0.01, afterStep: (id) => void seen.push(`after ${id}`) });
    expect(out.action).toBe('create');
    // it ran after verify (the config is recorded) and before smoke-test, and was recorded as done
    expect(seen).toContain(`vad-dummy ${out.names.endpointConfigName}`);
    expect(seen.indexOf(`vad-dummy ${out.names.endpointConfigName}`)).toBe(seen.indexOf('after verify') + 1);
    expect(seen).toContain('after dummy');
    const events = reporter.events.map((e) => e.split(' ').slice(0, 2).join(' '));
    expect(events.indexOf('dummy done')).toBeGreaterThan(events.indexOf('verify done'));
    expect(events.indexOf('dummy done')).toBeLessThan(events.indexOf('smoke-test skip'));
    expect(target.mutations()).toEqual(['CreateModel', 'CreateEndpointConfig', 'CreateEndpoint']);
  });
});
