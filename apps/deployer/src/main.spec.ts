import { spawnSync } from 'node:child_process';
import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ERRORS } from '@vad/contracts';
import { buildCli, main } from './main';

/** The CLI's promise: bad input ends with readable `error[code]` lines and the code's exit status. */
describe('deployer CLI exit codes', () => {
  let dir: string;
  let stderr: string[];
  let stdout: string[];
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'deployer-cli-'));
    stderr = [];
    stdout = [];
    jest.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => (stderr.push(String(s)), true));
    jest.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => (stdout.push(String(s)), true));
  });
  afterEach(async () => {
    jest.restoreAllMocks();
    await rm(dir, { recursive: true, force: true });
  });

  it('an unknown option is a usage error (bad_argument)', async () => {
    expect(await main(['node', 'deployer', 'plan', '--no-such-flag'])).toBe(ERRORS.bad_argument.exit);
    expect(stderr.join('')).toMatch(/unknown option/);
  });

  it('an AWS plan without its required settings names each missing field and exits non-zero', async () => {
    const code = await main(['node', 'deployer', 'plan', '--target', 'aws', '--state-file', join(dir, 's.json')]);
    expect(code).not.toBe(0);
    const text = stderr.join('');
    expect(text).toMatch(/^error\[[a-z_]+\]/m);
    for (const field of ['region', 'bucket']) expect(text).toContain(field);
  });

  it('a model path that does not exist is refused before anything is created', async () => {
    const code = await main(['node', 'deployer', 'plan', '--model', join(dir, 'missing-model'), '--state-file', join(dir, 's.json')]);
    expect(code).not.toBe(0);
    expect(stderr.join('')).toMatch(/error\[[a-z_]+\].*missing-model/);
    // Nothing left in the artifacts cache: no import-* scratch folder, no partial archive.
    const left = await readdir(join(dir, 'artifacts')).catch(() => [] as string[]);
    expect(left).toEqual([]);
  });
});

describe('bin/vad-deploy (the entry point the README gives for scripts that branch on exit codes)', () => {
  const ROOT = resolve(__dirname, '../../..');
  const run = (...args: string[]) =>
    spawnSync(process.execPath, ['bin/vad-deploy', ...args], { cwd: ROOT, encoding: 'utf8', env: { ...process.env, HOME: tmpdir() } });

  it('keeps the documented exit code of a refused model path (npx nx run would report 1)', () => {
    const r = run('plan', '--model', '/nonexistent-vad-model', '--state-file', join(tmpdir(), `vad-bin-${process.pid}.json`));
    expect(r.status).toBe(ERRORS.file_not_found.exit);
    expect(r.stderr).toMatch(/^error\[file_not_found\]: [^\n]*nonexistent-vad-model[^\n]*\n$/);
  });

  it('keeps the usage exit code and prints help with exit 0', () => {
    expect(run('plan', '--no-such-flag').status).toBe(ERRORS.bad_argument.exit);
    const help = run('--help');
    expect(help.status).toBe(0);
    expect(help.stdout).toMatch(/deploy/);
  });

  it("the workspace's npm settings are ones npm knows, and keep dependency install scripts off (no download at install)", () => {
    const r = spawnSync('npm', ['config', 'get', 'ignore-scripts'], { cwd: ROOT, encoding: 'utf8' });
    expect(r.status).toBe(0);
    expect(r.stdout.trim()).toBe('true');
    expect(r.stderr).not.toMatch(/Unknown (project|user|global) config/);
  });
});

describe('each command lists only the flags it reads', () => {
  const flagsOf = (name: string) =>
    buildCli()
      .commands.find((c) => c.name() === name)!
      .options.map((o) => o.long!);
  const endpoint = ['--config', '--target', '--name', '--region', '--state-file', '--state-dir'];

  it('status reads which endpoint and nothing else; deploy and plan read everything', () => {
    expect(flagsOf('status').sort()).toEqual([...endpoint].sort());
    for (const c of ['deploy', 'plan'])
      for (const f of ['--model', '--rollout', '--autoscale-max', '--clip', '--instance-type', '--poll']) expect(flagsOf(c)).toContain(f);
  });

  it('no command but deploy/plan offers rollout flags, and invoke offers the clip but not the model', () => {
    for (const c of ['status', 'invoke', 'destroy', 'autoscale', 'batch', 'iam']) expect(flagsOf(c)).not.toContain('--rollout');
    expect(flagsOf('invoke')).toEqual(expect.arrayContaining([...endpoint, '--clip', '--png']));
    expect(flagsOf('invoke')).not.toContain('--model');
    expect(flagsOf('autoscale')).toEqual(expect.arrayContaining(['--autoscale-min', '--variant', '--off']));
    expect(flagsOf('batch')).toEqual(expect.arrayContaining(['--input', '--instance-type', '--max-wait']));
  });

  it('a flag another command reads is a usage error here (not silently ignored)', async () => {
    expect(await main(['node', 'deployer', 'status', '--rollout', 'canary'])).toBe(ERRORS.bad_argument.exit);
  });
});
