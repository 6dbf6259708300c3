import { cp, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LocalTarget, isLoopbackPortOpen as portOpen, isProcessRunning } from '@vad/sagemaker-client';
import { loadDeployConfig } from '../src/config';
import { runDestroy } from '../src/commands/destroy';
import { runDeploy } from '../src/deploy';
import { StateStore } from '../src/state';
import { readClip } from '../src/smoke';

/**
 * End to end on the local target, real server processes on loopback: deploy the embedded default
 * model, invoke, update to a second model (blue/green: start new, switch, stop old), invoke again,
 * re-run (nothing changes), destroy — and no process or port is left behind.
 */
/** Zombie-aware: a killed detached server lingers as a zombie of this jest process until reaped. */
const alive = isProcessRunning;

describe('deployer on the local target', () => {
  let dir: string;
  let target: LocalTarget;
  const seen: { pid: number; port: number }[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vad-deployer-e2e-'));
    target = new LocalTarget({ stateDir: join(dir, 'local'), killAfterMs: 10_000 });
  });

  afterAll(async () => {
    // Whatever happened above, leave nothing running.
    await target.deleteEndpoint('vad-e2e').catch(() => undefined);
    await rm(dir, { recursive: true, force: true });
  });

  const flags = (extra: Record<string, unknown> = {}) => ({
    name: 'vad-e2e',
    stateFile: join(dir, 'deploy-state.json'),
    stateDir: join(dir, 'local'),
    png: join(dir, 'smoke.png'),
    ...extra,
  });

  it('deploys, invokes, updates, re-runs idempotently and destroys with nothing left behind', async () => {
    const store = new StateStore(join(dir, 'deploy-state.json'));
    const t0 = Date.now();
    const { config } = await loadDeployConfig(flags(), {});
    expect(config.target).toBe('local');
    expect(config.model).toEqual({ kind: 'default' });

    // 1. create with the embedded default model; the smoke test scores the sample clip and writes the PNG
    const first = await runDeploy(config, { target, store });
    expect(first.action).toBe('create');
    expect(first.endpoint?.status).toBe('InService');
    // Every frame of the sample clip but the first is scored (each against the one before it).
    expect(first.smoke?.scores).toHaveLength((await readClip()).files.length - 1);
    const png = await readFile(join(dir, 'smoke.png'));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    expect(Date.now() - t0).toBeLessThan(60_000);
    const p1 = await target.processes();
    expect(p1).toHaveLength(1);
    seen.push(...(await target.processes({ front: true })));

    // 2. invoke through the client
    const clip = await readClip();
    // One two-frame clip through the client; the answer as JSON.
    const scoreFirstPair = async () => {
      const b64 = (i: number) => Buffer.from(clip.bytes[i]!).toString('base64');
      const res = await target.invoke('vad-e2e', JSON.stringify({ clips: [[{ b64: b64(0) }, { b64: b64(1) }]] }));
      return JSON.parse(Buffer.from(res.body).toString());
    };
    const r1 = await scoreFirstPair();
    expect(r1.results).toHaveLength(1);
    const firstModel = r1.model.name as string;

    // 3. update to a second model (same density, another name → another digest)
    const second = join(dir, 'second-model');
    // vad-core is loaded lazily everywhere in the deployer (lint: one form of import per lib).
    const { defaultModelDir } = await import('@vad/core');
    await cp(defaultModelDir(), second, { recursive: true });
    const manifest = JSON.parse(await readFile(join(second, 'manifest.json'), 'utf8'));
    manifest.name = 'second-model';
    await writeFile(join(second, 'manifest.json'), JSON.stringify(manifest, null, 2));
    const { config: config2 } = await loadDeployConfig(flags({ model: [second] }), {});
    expect(config2.model).toEqual({ kind: 'dir', path: second });
    const updated = await runDeploy(config2, { target, store });
    expect(updated.action).toBe('update');
    expect(updated.endpoint?.endpointConfigName).toBe(updated.names.endpointConfigName);
    expect(updated.names.endpointConfigName).not.toBe(first.names.endpointConfigName);
    // The URL the first deploy printed still names the endpoint (its front port).
    expect(updated.endpoint?.url).toBe(first.endpoint?.url);
    const p2 = await target.processes();
    expect(p2).toHaveLength(1);
    expect(p2[0]!.pid).not.toBe(p1[0]!.pid);
    seen.push(...p2);
    expect(alive(p1[0]!.pid)).toBe(false);

    // 4. invoke again: the second model answers
    const r2 = await scoreFirstPair();
    expect(r2.model.name).toBe('second-model');
    expect(r2.model.name).not.toBe(firstModel);
    // the superseded model and config were collected; only the serving ones remain
    const managed = await target.listTaggedResources({ key: 'vad-serve:endpoint', value: 'vad-e2e' });
    expect(managed.map((m) => `${m.kind}:${m.name}`).sort()).toEqual(
      [`endpoint:vad-e2e`, `endpoint-config:${updated.names.endpointConfigName}`, `model:${updated.names.modelName}`].sort(),
    );

    // 5. identical re-run changes nothing
    const again = await runDeploy({ ...config2, smoke: { ...config2.smoke, skip: true } }, { target, store });
    expect(again.action).toBe('none');
    expect((await target.processes())[0]!.pid).toBe(p2[0]!.pid);

    // 6. destroy: nothing tagged remains, no process, no port
    const out = await runDestroy(config2, { target }, store);
    expect(out).toContain('deleted endpoint vad-e2e');
    expect(await target.listTaggedResources({ key: 'vad-serve:managed' })).toEqual([]);
    expect(await target.processes({ front: true })).toEqual([]);
    for (const p of seen) {
      expect(alive(p.pid)).toBe(false);
      expect(await portOpen(p.port)).toBe(false);
    }
    await expect(stat(store.path)).rejects.toThrow();
  });
});
