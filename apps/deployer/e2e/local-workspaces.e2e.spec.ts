import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isProcessRunning, LocalTarget, OwnedElsewhereError, workspaceStateDir } from '@vad/sagemaker-client';
import { loadDeployConfig, type ConfigFlags } from '../src/config';
import { runDestroy } from '../src/commands/destroy';
import { runStatus } from '../src/commands/status';
import { runDeploy } from '../src/deploy';
import { defaultStateFile, StateStore } from '../src/state';
import { createTargets } from '../src/targets';

/**
 * Issue 11: two checkouts ("workspaces") deploying the same local endpoint name, with real server
 * processes. By default each workspace has its own local state dir, so each gets its own endpoint;
 * where they share one state dir (--state-dir), the second is refused with the owner's name, and
 * neither its deploy nor its destroy touches the first one's endpoint.
 */
const NAME = 'vad-two-ws';

async function ping(url: string): Promise<number> {
  return (await fetch(`${url}/ping`)).status;
}

describe('local endpoints of two workspaces', () => {
  let root: string;
  let wsA: string;
  let wsB: string;
  const started: LocalTarget[] = [];
  // The default state dirs are what is under test: a shared one from the environment would hide them.
  const sharedFromEnv = process.env['VAD_LOCAL_STATE_DIR'];

  beforeAll(async () => {
    delete process.env['VAD_LOCAL_STATE_DIR'];
    root = await mkdtemp(join(tmpdir(), 'vad-two-ws-'));
    wsA = join(root, 'checkout-a');
    wsB = join(root, 'checkout-b');
  });

  afterAll(async () => {
    // Whatever failed above, no server stays behind.
    for (const t of started) for (const p of await t.processes({ front: true }).catch(() => [])) if (p.alive) process.kill(p.pid, 'SIGKILL');
    // The per-workspace state dirs live under ~/.vad-serve/local: remove this run's.
    for (const t of started) if (!t.stateDir.startsWith(root)) await rm(t.stateDir, { recursive: true, force: true });
    await rm(root, { recursive: true, force: true });
    if (sharedFromEnv !== undefined) process.env['VAD_LOCAL_STATE_DIR'] = sharedFromEnv;
  });

  /** What `deploy`/`status`/`destroy` run in workspace `ws`: its config, targets and deploy state file. */
  async function workspace(ws: string, extra: ConfigFlags = {}) {
    const { config } = await loadDeployConfig({ name: NAME, stateFile: join(ws, '.vad-deploy', `local-${NAME}.json`), smoke: false, ...extra }, {});
    const targets = await createTargets(config);
    started.push(targets.target as LocalTarget);
    return { config, targets, store: new StateStore(defaultStateFile(config)) };
  }

  it('by default each workspace has its own state dir: two endpoints, and destroying one leaves the other serving', async () => {
    const a = await workspace(wsA);
    const b = await workspace(wsB);
    const dirA = (a.targets.target as LocalTarget).stateDir;
    const dirB = (b.targets.target as LocalTarget).stateDir;
    expect(dirA).toBe(workspaceStateDir(join(wsA, '.vad-deploy')));
    expect(dirA).toMatch(/checkout-a-[0-9a-f]{12}$/);
    expect(dirB).not.toBe(dirA);

    const da = await runDeploy(a.config, { ...a.targets, store: a.store });
    const db = await runDeploy(b.config, { ...b.targets, store: b.store });
    expect(da.action).toBe('create');
    // Before the fix B's deploy found A's endpoint and updated it (replacing A's model).
    expect(db.action).toBe('create');
    expect(db.endpoint?.url).not.toBe(da.endpoint?.url);
    expect(await ping(da.endpoint!.url!)).toBe(200);

    expect(await runStatus(b.config, b.targets, b.store)).toContain(`owner           this workspace (${b.store.path})`);
    expect(await runDestroy(a.config, a.targets, a.store)).toContain(`deleted endpoint ${NAME}`);
    // B's endpoint is untouched by A's destroy.
    expect((await b.targets.target.describeEndpoint(NAME)).status).toBe('InService');
    expect(await ping(db.endpoint!.url!)).toBe(200);
    expect(await runDestroy(b.config, b.targets, b.store)).toContain(`deleted endpoint ${NAME}`);
  });

  it('a shared --state-dir: the other workspace is refused by name, status says whose it is, and A keeps serving', async () => {
    const shared = join(root, 'shared-state');
    const a = await workspace(wsA, { stateDir: shared });
    const b = await workspace(wsB, { stateDir: shared });
    const da = await runDeploy(a.config, { ...a.targets, store: a.store });
    expect(da.action).toBe('create');
    const pid = (await (a.targets.target as LocalTarget).processes())[0]!.pid;
    const before = await a.targets.target.listTaggedResources({ key: 'vad-serve:endpoint', value: NAME });

    const refused = await runDeploy(b.config, { ...b.targets, store: b.store }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(OwnedElsewhereError);
    expect((refused as OwnedElsewhereError).code).toBe('resource_in_use');
    expect((refused as Error).message).toContain(`local endpoint ${NAME} belongs to another workspace: it was deployed with the state file ${a.store.path}`);
    // Nothing of B's was created, nothing of A's was replaced.
    expect(await a.targets.target.listTaggedResources({ key: 'vad-serve:endpoint', value: NAME })).toEqual(before);

    const status = await runStatus(b.config, b.targets, b.store);
    expect(status).toContain(`owner           ANOTHER WORKSPACE: ${a.store.path}`);

    await expect(runDestroy(b.config, b.targets, b.store)).rejects.toBeInstanceOf(OwnedElsewhereError);
    const d = await a.targets.target.describeEndpoint(NAME);
    expect(d.status).toBe('InService');
    expect(isProcessRunning(pid)).toBe(true);
    expect(await ping(d.url!)).toBe(200);

    expect(await runDestroy(a.config, a.targets, a.store)).toContain(`deleted endpoint ${NAME}`);
    expect(isProcessRunning(pid)).toBe(false);
  });
});
