import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ERRORS } from '@vad/contracts';
import { main } from './main';

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
  });
});
