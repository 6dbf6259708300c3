import { cp, mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { defaultModelDir, sampleClipDir } from '@vad/core';
import { EndpointFailedError, ModelError, NotFoundError, PayloadTooLargeError, SilentRollbackError, ValidationError } from '../errors';
import { Predictor, serializers } from '../predictor';
import type { WaitProgress } from '../target';
import { listening } from './front';
import { LocalTarget } from './local-target';
import { isProcessRunning } from './processes';

/**
 * The local target end to end: real server processes (apps/server) on loopback ports, started
 * from model.tar.gz archives packed with @vad/artifacts, invoked with the bundled sample clip.
 */

const alive = isProcessRunning;
const portClosed = async (port: number): Promise<boolean> => !(await listening(port));

describe('LocalTarget (e2e: server processes on loopback)', () => {
  let dir: string;
  let target: LocalTarget;
  let frames: Uint8Array[];
  const seenPids: number[] = [];
  const seenPorts: number[] = [];

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vad-local-target-'));
    // Loaded lazily, as local-target.ts does (the AWS-only path never loads the model stack).
    const { packModelDir } = await import('@vad/artifacts');
    await packModelDir(defaultModelDir(), join(dir, 'model-a.tar.gz'));
    // A second model: the default one under another name (the manifest is not among its digests).
    await cp(defaultModelDir(), join(dir, 'model-b'), { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, 'model-b', 'manifest.json'), 'utf8')) as { name: string };
    manifest.name = 'vad-second-model';
    await writeFile(join(dir, 'model-b', 'manifest.json'), JSON.stringify(manifest, null, 2));
    await packModelDir(join(dir, 'model-b'), join(dir, 'model-b.tar.gz'));
    // A model whose density file does not match its digest: the server refuses to load it.
    await cp(defaultModelDir(), join(dir, 'model-bad'), { recursive: true });
    const density = await readFile(join(dir, 'model-bad', 'density.safetensors'));
    density[density.length - 1] ^= 0xff;
    await writeFile(join(dir, 'model-bad', 'density.safetensors'), density);
    await writeFile(join(dir, 'not-a-tarball.tar.gz'), 'this is not gzip');

    const clip = sampleClipDir();
    const names = (await readdir(clip)).filter((n) => n.endsWith('.jpg')).sort();
    frames = await Promise.all(names.slice(0, 2).map(async (n) => new Uint8Array(await readFile(join(clip, n)))));
    target = new LocalTarget({ stateDir: join(dir, 'state'), killAfterMs: 10_000 });
  });

  afterAll(async () => {
    // Never leave a server behind, whatever failed above.
    for (const p of await target.processes().catch(() => [])) if (p.alive) process.kill(p.pid, 'SIGKILL');
    await rm(dir, { recursive: true, force: true });
  });

  const tags = { 'vad-serve:managed': 'true', 'vad-serve:test': 'local-e2e' };

  it('creates an endpoint from a packed model, waits InService and invokes it with two frames', async () => {
    await target.createModel({ modelName: 'model-a', modelDataUrl: join(dir, 'model-a.tar.gz'), tags });
    await target.createEndpointConfig({ endpointConfigName: 'config-a', variants: [{ modelName: 'model-a', instanceType: 'local' }], tags });
    await target.createEndpoint({ endpointName: 'vad-e2e', endpointConfigName: 'config-a', tags });

    const progress: WaitProgress[] = [];
    const d = await target.waitForEndpoint('vad-e2e', { pollSeconds: 0.2, maxWaitSeconds: 150, onProgress: (p) => progress.push(p) });
    expect(d.status).toBe('InService');
    expect(d.endpointConfigName).toBe('config-a');
    expect(progress[0]!.status).toBe('Creating');
    expect(progress[progress.length - 1]!.status).toBe('InService');
    expect(d.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const procs = await target.processes();
    expect(procs).toHaveLength(1);
    seenPids.push(procs[0]!.pid);
    seenPorts.push(procs[0]!.port);

    const predictor = new Predictor(target, 'vad-e2e');
    const res = await predictor.scoreFrames(frames);
    expect(res.model.name).toBe('vad-default-synthetic-walkway');
    expect(res.results).toHaveLength(1);
    expect(res.pred_scores).toHaveLength(1);
    expect(Number.isFinite(res.results[0]!.score)).toBe(true);
  });

  it('a second command sees the same endpoint through the state file', async () => {
    const other = new LocalTarget({ stateDir: join(dir, 'state') });
    const d = await other.describeEndpoint('vad-e2e');
    expect(d.status).toBe('InService');
    const tagged = await other.listTaggedResources({ key: 'vad-serve:test', value: 'local-e2e' });
    expect(tagged.map((t) => `${t.kind}:${t.name}`).sort()).toEqual(['endpoint-config:config-a', 'endpoint:vad-e2e', 'model:model-a']);
    expect(await other.listTaggedResources({ key: 'someone-else' })).toEqual([]);
  });

  it('applies SageMaker invocation rules: container errors are ModelError 424, > 6 MB is refused', async () => {
    const err = await target.invoke('vad-e2e', 'hello', { contentType: 'text/plain' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ModelError);
    const me = err as ModelError;
    expect(me.httpStatus).toBe(424);
    expect(me.originalStatusCode).toBe(415);
    expect(me.containerError?.code).toBe('unsupported_media_type');
    expect(me.logLocation).toMatch(/server\.log$/);

    await expect(target.invoke('vad-e2e', new Uint8Array(6_291_457), { contentType: 'image/jpeg' })).rejects.toBeInstanceOf(PayloadTooLargeError);
    await expect(target.invoke('nope', '{}')).rejects.toBeInstanceOf(NotFoundError);
    await expect(target.invoke('vad-e2e', '{}', { customAttributes: 'x'.repeat(1025) })).rejects.toBeInstanceOf(ValidationError);

    // Custom attributes reach the container and come back (api.md: echoed).
    const ok = await target.invoke('vad-e2e', serializers.frames(frames).body, { customAttributes: 'trace=abc' });
    expect(ok.contentType).toMatch(/application\/json/);
    expect(ok.invokedProductionVariant).toBe('AllTraffic');
  });

  it('updates to a second model: starts the new server, switches, stops the old one', async () => {
    await target.createModel({ modelName: 'model-b', modelDataUrl: join(dir, 'model-b.tar.gz'), tags });
    await target.createEndpointConfig({ endpointConfigName: 'config-b', variants: [{ modelName: 'model-b', instanceType: 'local' }], tags });
    await target.updateEndpoint({ endpointName: 'vad-e2e', endpointConfigName: 'config-b' });
    expect((await target.describeEndpoint('vad-e2e')).status).toBe('Updating');
    // Traffic keeps going to the old server while the new one starts.
    const during = await new Predictor(target, 'vad-e2e').scoreFrames(frames);
    expect(during.model.name).toBe('vad-default-synthetic-walkway');

    const d = await target.waitForEndpoint('vad-e2e', { pollSeconds: 0.2, maxWaitSeconds: 150, expectedEndpointConfigName: 'config-b' });
    expect(d.endpointConfigName).toBe('config-b');
    const res = await new Predictor(target, 'vad-e2e').scoreFrames(frames);
    expect(res.model.name).toBe('vad-second-model');

    const procs = await target.processes();
    expect(procs).toHaveLength(1);
    expect(procs[0]!.pid).not.toBe(seenPids[0]);
    expect(alive(seenPids[0]!)).toBe(false);
    expect(await portClosed(seenPorts[0]!)).toBe(true);
    seenPids.push(procs[0]!.pid);
    seenPorts.push(procs[0]!.port);
  });

  it('a failed update rolls back silently to the old config, and the waiter says so', async () => {
    await target.createModel({ modelName: 'model-broken', modelDataUrl: join(dir, 'not-a-tarball.tar.gz'), tags });
    await target.createEndpointConfig({ endpointConfigName: 'config-broken', variants: [{ modelName: 'model-broken', instanceType: 'local' }], tags });
    await target.updateEndpoint({ endpointName: 'vad-e2e', endpointConfigName: 'config-broken' });
    const err = await target
      .waitForEndpoint('vad-e2e', { pollSeconds: 0.2, maxWaitSeconds: 60, expectedEndpointConfigName: 'config-broken' })
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(SilentRollbackError);
    expect((err as SilentRollbackError).actualEndpointConfigName).toBe('config-b');
    expect((err as SilentRollbackError).failureReason).toMatch(/Failed to extract model data archive/);
    const d = await target.describeEndpoint('vad-e2e');
    expect(d.status).toBe('InService');
    expect(d.failureReason).toMatch(/Failed to extract/);
    expect((await new Predictor(target, 'vad-e2e').scoreFrames(frames)).model.name).toBe('vad-second-model');
  });

  it('a container that never becomes healthy fails fast with FailureReason and its log excerpt', async () => {
    await target.createModel({ modelName: 'model-bad', modelDataUrl: join(dir, 'model-bad'), tags });
    await target.createEndpointConfig({ endpointConfigName: 'config-bad', variants: [{ modelName: 'model-bad', instanceType: 'local' }], tags });
    await target.createEndpoint({ endpointName: 'vad-e2e-bad', endpointConfigName: 'config-bad', tags });
    const started = Date.now();
    const err = await target.waitForEndpoint('vad-e2e-bad', { pollSeconds: 0.2, maxWaitSeconds: 150 }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EndpointFailedError);
    const fe = err as EndpointFailedError;
    expect(fe.status).toBe('Failed');
    expect(fe.failureReason).toMatch(/did not pass the ping health check/);
    expect(fe.failureReason).toMatch(/digest|density/i);
    expect(fe.logExcerpt.length).toBeGreaterThan(0);
    expect(Date.now() - started).toBeLessThan(120_000);
    // Its server is stopped already; only the healthy endpoint's process remains.
    expect((await target.processes()).filter((p) => p.alive).map((p) => p.endpointName)).toEqual(['vad-e2e']);
    await expect(target.invoke('vad-e2e-bad', '{}')).rejects.toBeInstanceOf(ValidationError);
    await target.deleteEndpoint('vad-e2e-bad');
  });

  it('detects a stale pid (server killed behind our back) as Failed', async () => {
    const other = new LocalTarget({ stateDir: join(dir, 'state') });
    await other.createEndpoint({ endpointName: 'vad-e2e-stale', endpointConfigName: 'config-a' });
    await other.waitForEndpoint('vad-e2e-stale', { pollSeconds: 0.2, maxWaitSeconds: 150 });
    const p = (await other.processes()).find((x) => x.endpointName === 'vad-e2e-stale')!;
    seenPids.push(p.pid);
    seenPorts.push(p.port);
    process.kill(p.pid, 'SIGKILL');
    await new Promise((r) => setTimeout(r, 300));
    const d = await other.describeEndpoint('vad-e2e-stale');
    expect(d.status).toBe('Failed');
    expect(d.failureReason).toMatch(/stale pid/);
    await other.deleteEndpoint('vad-e2e-stale');
  });

  it('deletes: endpoints, configs and models go, no process or listening port stays', async () => {
    await target.deleteEndpoint('vad-e2e');
    await target.waitForEndpointDeleted('vad-e2e', { pollSeconds: 0.1, maxWaitSeconds: 30 });
    await expect(target.describeEndpoint('vad-e2e')).rejects.toBeInstanceOf(NotFoundError);
    for (const c of ['config-a', 'config-b', 'config-broken', 'config-bad']) await target.deleteEndpointConfig(c);
    for (const m of ['model-a', 'model-b', 'model-broken', 'model-bad']) await target.deleteModel(m);
    expect(await target.listTaggedResources({ key: 'vad-serve:managed' })).toEqual([]);
    expect(await target.processes()).toEqual([]);
    for (const pid of seenPids) expect(alive(pid)).toBe(false);
    for (const port of seenPorts) expect(await portClosed(port)).toBe(true);
    expect(await readdir(join(dir, 'state', 'endpoints'))).toEqual([]);
  });
});
