import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelDir } from '@vad/core';
import { LocalTarget } from './local-target';

/**
 * Issue 13, local target: a hung server is not InService, and two deploys of one endpoint from
 * two processes cannot both create resources. Real processes throughout: the server for the
 * first, two node processes racing for the endpoint's lock for the second.
 */
const REPO = join(__dirname, '../../../..');

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'vad-local-hardening-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('a hung server (SIGSTOP) is not reported InService', () => {
  it('reads OutOfService with the reason while stopped, and InService again once it runs', async () => {
    const target = new LocalTarget({ stateDir: join(dir, 'hung'), killAfterMs: 5_000, livenessTimeoutMs: 500 });
    const tags = { 'vad-serve:endpoint': 'vad-hung' };
    await target.createModel({ modelName: 'm-hung', modelDataUrl: defaultModelDir(), tags });
    await target.createEndpointConfig({ endpointConfigName: 'c-hung', variants: [{ modelName: 'm-hung', instanceType: 'local' }], tags });
    await target.createEndpoint({ endpointName: 'vad-hung', endpointConfigName: 'c-hung', tags });
    const [proc] = await target.processes();
    try {
      expect((await target.waitForEndpoint('vad-hung', { pollSeconds: 0.2, maxWaitSeconds: 120 })).status).toBe('InService');
      // The wait ended the deploy: the endpoint's lock is gone.
      expect(existsSync(join(dir, 'hung', 'locks', 'vad-hung.lock'))).toBe(false);

      process.kill(proc!.pid, 'SIGSTOP');
      const stopped = await target.describeEndpoint('vad-hung');
      expect(stopped.status).toBe('OutOfService');
      expect(stopped.failureReason).toMatch(/is stopped .*no answer to \/ping within 500 ms/);
      await expect(target.invoke('vad-hung', '{}')).rejects.toMatchObject({ message: expect.stringMatching(/OutOfService/) });

      process.kill(proc!.pid, 'SIGCONT');
      const resumed = await target.describeEndpoint('vad-hung');
      expect(resumed.status).toBe('InService');
      expect(resumed.failureReason).toBeUndefined();
    } finally {
      process.kill(proc!.pid, 'SIGCONT');
      await target.deleteEndpoint('vad-hung');
    }
  }, 150_000);
});

/** A second node process deploying through its own LocalTarget; resolves with what it printed. */
function deployer(
  stateDir: string,
  model: string,
  hold: boolean,
): { out: Promise<{ code: number | null; lines: string[] }>; locked: Promise<void>; release: () => void } {
  const script = `
    const { LocalTarget } = require(${JSON.stringify(join(__dirname, 'local-target.ts'))});
    (async () => {
      const t = new LocalTarget({ stateDir: ${JSON.stringify(stateDir)} });
      const tags = { 'vad-serve:endpoint': 'vad-race' };
      try {
        await t.createModel({ modelName: ${JSON.stringify(`model-${model}`)}, modelDataUrl: ${JSON.stringify(defaultModelDir())}, tags });
        console.log('locked');
        // Holding the lock until the test says go (a line on stdin).
        if (${hold}) await new Promise((r) => process.stdin.once('data', r));
        await t.createEndpointConfig({ endpointConfigName: ${JSON.stringify(`config-${model}`)}, variants: [{ modelName: ${JSON.stringify(`model-${model}`)}, instanceType: 'local' }], tags });
        console.log('created');
      } catch (e) {
        console.log('refused ' + e.code + ': ' + e.message);
        process.exitCode = 3;
      }
    })();`;
  const child = spawn(process.execPath, ['-r', join(REPO, 'tools/ts-register.js'), '-e', script], { stdio: [hold ? 'pipe' : 'ignore', 'pipe', 'inherit'] });
  let text = '';
  let onLocked: () => void;
  const locked = new Promise<void>((r) => (onLocked = r));
  child.stdout!.on('data', (d: Buffer) => {
    text += d.toString();
    if (/^(locked|refused)/m.test(text)) onLocked();
  });
  const out = new Promise<{ code: number | null; lines: string[] }>((resolve) => child.on('exit', (code) => resolve({ code, lines: text.trim().split('\n') })));
  return { out, locked, release: () => child.stdin?.end('go\n') };
}

describe('two concurrent deploys of one local endpoint', () => {
  it('the second process is refused before it creates anything; once the first has exited its lock is stale and taken over', async () => {
    const stateDir = join(dir, 'race');
    const first = deployer(stateDir, 'a', true);
    await first.locked;
    const second = deployer(stateDir, 'b', false);
    const lost = await second.out;
    expect(lost.code).toBe(3);
    expect(lost.lines.join('\n')).toMatch(/refused resource_in_use: local endpoint vad-race is being deployed by another process \(pid \d+/);
    first.release();
    const won = await first.out;
    expect(won.lines).toEqual(['locked', 'created']);

    const state = await new LocalTarget({ stateDir }).store.read();
    expect(Object.keys(state.models)).toEqual(['model-a']);
    expect(Object.keys(state.endpointConfigs)).toEqual(['config-a']);

    // The first process exited without a wait (no release): its lock names a dead pid.
    expect(existsSync(join(stateDir, 'locks', 'vad-race.lock'))).toBe(true);
    const third = await deployer(stateDir, 'c', false).out;
    expect(third.lines).toEqual(['locked', 'created']);
  }, 60_000);
});
