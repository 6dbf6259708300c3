import { loadDeployConfig, type ConfigFlags } from './config';
import { defaultStateFile } from './state';
import type { DeployOutcome } from './deploy';
import { commandHint, renderSummary } from './summary';

/** The hints `deploy` prints must act on the endpoint just deployed, not on the default one. */
async function configOf(flags: ConfigFlags) {
  return (await loadDeployConfig(flags, {}, 'other')).config;
}

/** The flags a hint carries, read back the way the CLI names them. */
function flagsOf(hint: string): ConfigFlags {
  const [, tail = ''] = hint.split(' -- ');
  const words = tail.split(' ').filter(Boolean);
  const keys: Record<string, keyof ConfigFlags> = {
    '--target': 'target',
    '--name': 'name',
    '--region': 'region',
    '--state-file': 'stateFile',
    '--state-dir': 'stateDir',
  };
  const flags: Record<string, string> = {};
  for (let i = 0; i < words.length; i += 2) {
    const key = keys[words[i]!];
    if (!key) throw new Error(`unexpected word in hint: ${words[i]}`);
    flags[key] = words[i + 1]!;
  }
  return flags as ConfigFlags;
}

describe('commandHint', () => {
  it('is the bare command for the default local endpoint', async () => {
    const config = await configOf({});
    expect(commandHint('destroy', config, defaultStateFile(config))).toBe('npx nx run deployer:destroy');
  });

  it('carries name, state file and state dir when they are not the defaults, and they find the same endpoint', async () => {
    const deployed = await configOf({ name: 'ctest', stateFile: '/tmp/vad-hint/state.json', stateDir: '/tmp/vad-hint/endpoints' });
    for (const command of ['invoke', 'status', 'destroy'] as const) {
      const hint = commandHint(command, deployed, defaultStateFile(deployed));
      expect(hint.startsWith(`npx nx run deployer:${command} -- `)).toBe(true);
      const again = await configOf(flagsOf(hint));
      expect(again.name).toBe('ctest');
      expect(defaultStateFile(again)).toBe(defaultStateFile(deployed));
      expect(again.local.stateDir).toBe(deployed.local.stateDir);
    }
  });

  it('names the AWS target and a region that the environment would not supply', async () => {
    const deployed = await configOf({ target: 'aws', name: 'prod', region: 'eu-west-1' });
    const hint = commandHint('destroy', deployed, defaultStateFile(deployed));
    const again = await configOf(flagsOf(hint));
    expect([again.target, again.name, again.aws.region]).toEqual(['aws', 'prod', 'eu-west-1']);
  });
});

describe('renderSummary', () => {
  it("names the archive's digest as such (the endpoint reports the manifest's, another digest)", async () => {
    const config = await configOf({});
    const outcome = {
      action: 'create',
      names: { endpointName: 'e', modelName: 'm', endpointConfigName: 'c' },
      outputs: {},
      plan: { modelSha256: 'b'.repeat(64) },
    } as unknown as DeployOutcome;
    const text = renderSummary(config, outcome, '/tmp/s.json');
    expect(text).toMatch(new RegExp(`^  archive sha256  ${'b'.repeat(64)}$`, 'm'));
    expect(text).not.toMatch(/model sha256/);
  });
});
