import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelDir, sampleClipDir } from '@vad/core';
import { serializers } from '../predictor';
import { listening as portOpen } from './front';
import { LocalTarget } from './local-target';
import { isProcessRunning } from './processes';

/**
 * Issue 11: a local endpoint keeps its URL across a blue/green update, as a SageMaker endpoint
 * keeps its name. Real server processes; a client keeps invoking the printed URL through the
 * whole update, and no request may fail; the old model answers until the new one is InService.
 */

describe('local endpoint URL across a blue/green update', () => {
  let dir: string;
  let target: LocalTarget;
  let body: string;

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vad-stable-url-'));
    await cp(defaultModelDir(), join(dir, 'model-b'), { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, 'model-b', 'manifest.json'), 'utf8')) as { name: string };
    manifest.name = 'vad-second-model';
    await writeFile(join(dir, 'model-b', 'manifest.json'), JSON.stringify(manifest, null, 2));
    const clip = sampleClipDir();
    const names = (await readdir(clip)).filter((n) => n.endsWith('.jpg')).sort();
    body = serializers.frames(await Promise.all(names.slice(0, 2).map(async (n) => new Uint8Array(await readFile(join(clip, n)))))).body as string;
    target = new LocalTarget({ stateDir: join(dir, 'state'), killAfterMs: 10_000 });
  });

  afterAll(async () => {
    for (const p of await target.processes({ front: true }).catch(() => [])) if (p.alive) process.kill(p.pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  const invokeUrl = async (url: string): Promise<{ status: number; model?: string }> => {
    const r = await fetch(`${url}/invocations`, { method: 'POST', headers: { 'content-type': 'application/json' }, body });
    const json = (await r.json()) as { model?: { name?: string } };
    return { status: r.status, model: json.model?.name };
  };

  it('the same URL answers /ping and /invocations with the new model, no request fails during the switch, a killed front comes back, delete leaves nothing', async () => {
    await target.createModel({ modelName: 'm-a', modelDataUrl: defaultModelDir() });
    await target.createEndpointConfig({ endpointConfigName: 'c-a', variants: [{ modelName: 'm-a', instanceType: 'local' }] });
    await target.createEndpoint({ endpointName: 'vad-url', endpointConfigName: 'c-a' });
    const url = (await target.waitForEndpoint('vad-url', { pollSeconds: 0.2, maxWaitSeconds: 120 })).url!;
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await invokeUrl(url)).toEqual({ status: 200, model: 'vad-default-synthetic-walkway' });
    const [oldInstance] = await target.processes();

    await target.createModel({ modelName: 'm-b', modelDataUrl: join(dir, 'model-b') });
    await target.createEndpointConfig({ endpointConfigName: 'c-b', variants: [{ modelName: 'm-b', instanceType: 'local' }] });
    await target.updateEndpoint({ endpointName: 'vad-url', endpointConfigName: 'c-b' });

    // A client holding the printed URL keeps invoking it, one request after another, through the update.
    const seen: Array<{ status: number; model?: string } | { error: string }> = [];
    let updating = true;
    let afterSwitch = 0;
    const client = (async () => {
      while (updating || afterSwitch < 3) {
        seen.push(await invokeUrl(url).catch((e: unknown) => ({ error: String((e as Error).cause ?? e) })));
        if (!updating) afterSwitch++;
      }
    })();
    const done = await target.waitForEndpoint('vad-url', { pollSeconds: 0.1, maxWaitSeconds: 120, expectedEndpointConfigName: 'c-b' }).finally(() => {
      updating = false;
    });
    await client;

    expect(done.url).toBe(url);
    expect(seen.filter((s) => !('status' in s) || s.status !== 200)).toEqual([]);
    const models = seen.map((s) => ('model' in s ? s.model : undefined));
    // The old model serves until the new one is InService, then only the new one answers.
    expect(models[0]).toBe('vad-default-synthetic-walkway');
    expect(models.slice(-3)).toEqual(['vad-second-model', 'vad-second-model', 'vad-second-model']);
    const firstNew = models.indexOf('vad-second-model');
    expect(models.slice(firstNew).every((m) => m === 'vad-second-model')).toBe(true);

    expect((await fetch(`${url}/ping`)).status).toBe(200);
    expect(await invokeUrl(url)).toEqual({ status: 200, model: 'vad-second-model' });
    // The old instance is gone; the URL's port was never its own.
    expect(isProcessRunning(oldInstance!.pid)).toBe(false);
    expect(await portOpen(oldInstance!.port)).toBe(false);
    expect(url).not.toContain(`:${oldInstance!.port}`);

    // A front killed behind our back comes back on the same port at the next describe.
    const front = (await target.processes({ front: true })).find((p) => p.role === 'front')!;
    process.kill(front.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    expect(await portOpen(front.port)).toBe(false);
    expect((await target.describeEndpoint('vad-url')).url).toBe(url);
    let pinged = 0;
    for (let i = 0; i < 50 && pinged !== 200; i++) {
      // Each describe may restart it (at most every 2 s); the URL must stay the same throughout.
      expect((await target.describeEndpoint('vad-url')).url).toBe(url);
      pinged = await fetch(`${url}/ping`).then(
        (r) => r.status,
        () => 0,
      );
      if (pinged !== 200) await new Promise((r) => setTimeout(r, 100));
    }
    expect(pinged).toBe(200);

    const all = await target.processes({ front: true });
    expect(all.map((p) => p.role).sort()).toEqual(['front', 'instance']);
    expect(all.find((p) => p.role === 'front')!.pid).not.toBe(front.pid);
    await target.deleteEndpoint('vad-url');
    for (const p of all) {
      expect(isProcessRunning(p.pid)).toBe(false);
      expect(await portOpen(p.port)).toBe(false);
    }
    expect(await target.processes({ front: true })).toEqual([]);
  }, 150_000);
});
