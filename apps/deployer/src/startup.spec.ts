import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * The real CLI, spawned the way `nx run deployer:…` runs it, with a --require hook that records
 * every loaded module: the commands that need no model load neither onnxruntime-node nor sharp
 * (they come with @vad/core, which only the pack/preflight/smoke steps import, lazily).
 */
const root = resolve(__dirname, '../../..');
let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vad-deployer-startup-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

async function loadedModules(args: string[]): Promise<{ status: number | null; modules: string[] }> {
  const log = join(dir, `modules-${args[0]!.replace(/\W/g, '')}.json`);
  const r = spawnSync(process.execPath, ['-r', './tools/ts-register.js', '-r', './tools/record-modules.js', 'apps/deployer/src/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, VAD_MODULE_LOG: log, HOME: dir },
    encoding: 'utf8',
    timeout: 60_000,
  });
  return { status: r.status, modules: JSON.parse(await readFile(log, 'utf8')) as string[] };
}

const LOCAL = ['--state-dir', '<dir>/local', '--state-file', '<dir>/state.json'];

describe('deployer start-up', () => {
  it.each([['--help'], ['status', ...LOCAL], ['destroy', ...LOCAL]].map((a) => [a[0]!, a] as const))(
    '%s loads neither onnxruntime-node nor sharp',
    async (_name, args) => {
      const { status, modules } = await loadedModules(args.map((a) => a.replace('<dir>', dir)));
      expect(status).toBe(0);
      // the hook saw the CLI itself (the record is real, not empty)
      expect(modules.some((m) => m.endsWith(join('apps', 'deployer', 'src', 'main.ts')))).toBe(true);
      expect(modules.filter((m) => /[\\/]node_modules[\\/](onnxruntime-node|onnxruntime-common|sharp)[\\/]/.test(m))).toEqual([]);
      expect(modules.filter((m) => m.includes(join('libs', 'vad-core', 'src')))).toEqual([]);
    },
  );

  // The local target shares @vad/sagemaker-client's index with the AWS one: the SDK packages load
  // on the first AWS call (aws/sdk.ts), never for endpoints on loopback.
  it.each(
    [
      ['status', ...LOCAL],
      ['destroy', ...LOCAL],
    ].map((a) => [a[0]!, a] as const),
  )('%s on the local target loads no AWS SDK client', async (_name, args) => {
    const { status, modules } = await loadedModules(args.map((a) => a.replace('<dir>', dir)));
    expect(status).toBe(0);
    // the lib itself was loaded (LocalTarget comes from its index), so the absence below means something
    expect(modules.some((m) => m.includes(join('libs', 'sagemaker-client', 'src', 'index.ts')))).toBe(true);
    expect(modules.filter((m) => /[\\/]node_modules[\\/]@aws-sdk[\\/]client-sagemaker[\\/]/.test(m))).toEqual([]);
    expect(modules.filter((m) => /[\\/]node_modules[\\/]@aws-sdk[\\/](client-|lib-storage)/.test(m))).toEqual([]);
  });
});
