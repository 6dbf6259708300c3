import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { DEFAULT_STARTUP_HEALTH_CHECK_SECONDS, PING_TIMEOUT_MS } from '../rules';
import { endpointDirOf, listening, startFront, writeRoute } from './front';
import { LocalHttpTimeout, localRequest } from './http';
import { arn, now } from './names';
import {
  INSTANCE_ID_ENV,
  freeLoopbackPort,
  isOurProcess,
  lastErrorLine,
  processState,
  resolveServerLaunch,
  startServerProcess,
  stopProcess,
  tailFile,
  type ServerLaunch,
} from './processes';
import type { LocalEndpointRecord, LocalFrontRecord, LocalInstanceRecord, LocalStateStore } from './state';

/** Least time between two restarts of a dead front proxy by describes. */
const FRONT_RESTART_MS = 2_000;

export interface SupervisorOptions {
  launch: ServerLaunch | 'auto' | 'bundle' | 'sources';
  workers: number;
  killAfterMs: number;
  livenessTimeoutMs?: number;
}

type Probe = { state: 'ready' } | { state: 'starting' } | { state: 'failed'; reason: string };

/**
 * Instance supervision: starts a server process for an endpoint's pending config, and reconciles
 * the recorded state with the processes (a pending instance that answers /ping becomes current,
 * one that died or missed its window fails or rolls back, a dead or unresponsive current one
 * shows in the endpoint's status).
 */
export class InstanceSupervisor {
  private readonly launch: SupervisorOptions['launch'];
  private readonly workers: number;
  readonly killAfterMs: number;
  private readonly livenessTimeoutMs: number;

  constructor(
    private readonly store: LocalStateStore,
    options: SupervisorOptions,
  ) {
    this.launch = options.launch;
    this.workers = options.workers;
    this.killAfterMs = options.killAfterMs;
    this.livenessTimeoutMs = options.livenessTimeoutMs ?? PING_TIMEOUT_MS;
  }

  serverLaunch(): ServerLaunch {
    return typeof this.launch === 'string' ? resolveServerLaunch(this.launch) : this.launch;
  }

  /**
   * The endpoint's front proxy runs: started on a free port with the endpoint, or again on its
   * recorded port if it died, so the URL stays the endpoint's for its whole life.
   */
  private async ensureFront(endpointName: string): Promise<void> {
    const e = (await this.store.read()).endpoints[endpointName];
    if (!e) return;
    if (e.front) return this.healFront(endpointName, e.front, 0);
    const dir = endpointDirOf(this.store.dir, endpointName);
    if (e.current) await writeRoute(dir, e.current.port);
    const front = await startFront(dir, await freeLoopbackPort());
    await this.store.update((s) => {
      const ep = s.endpoints[endpointName];
      if (ep) ep.front = front;
    });
  }

  /**
   * A front that died (killed behind our back) is started again on its port, at most once per
   * `throttleMs` (a port someone else took would otherwise cost a process per describe). Two
   * commands healing at once: only the one that still finds the dead record keeps its front.
   */
  private async healFront(endpointName: string, seen: LocalFrontRecord, throttleMs = FRONT_RESTART_MS): Promise<void> {
    if (await isOurProcess(seen.pid, seen.id)) return;
    if (seen.startedAt && Date.now() - Date.parse(seen.startedAt) < throttleMs) return;
    const front = await startFront(endpointDirOf(this.store.dir, endpointName), seen.port);
    const kept = await this.store.update((s) => {
      const ep = s.endpoints[endpointName];
      if (!ep || ep.status === 'Deleting' || ep.front?.id !== seen.id) return false;
      ep.front = front;
      return true;
    });
    if (!kept) await stopProcess(front.pid, front.id, this.killAfterMs);
  }

  /** Unpacks the variant's model for a new instance and starts it; failures become FailureReason. */
  async launchPending(endpointName: string, endpointConfigName: string): Promise<void> {
    await this.ensureFront(endpointName);
    const state = await this.store.read();
    const config = state.endpointConfigs[endpointConfigName]!;
    const variant = config.variants[0]!;
    const model = state.models[variant.modelName];
    const id = randomUUID();
    const workDir = join(this.store.dir, 'endpoints', endpointName, id);
    const logFile = join(workDir, 'server.log');
    await mkdir(workDir, { recursive: true });
    let modelDir: string;
    let pid: number;
    let port: number;
    try {
      if (!model) throw new LaunchFailure(`Could not find model "${arn('model', variant.modelName)}".`);
      modelDir = await prepareModelDir(model.source, model.modelDataUrl, join(workDir, 'model'));
      port = await freeLoopbackPort();
      const env: Record<string, string> = {
        ...(process.env as Record<string, string>),
        VAD_WORKERS: String(this.workers),
        ...model.environment,
        // What SageMaker controls, the model's environment can't override.
        SAGEMAKER_BIND_TO_PORT: String(port),
        VAD_HOST: '127.0.0.1',
        VAD_MODEL_DIR: modelDir,
        [INSTANCE_ID_ENV]: id,
        VAD_LOCAL_ENDPOINT: endpointName,
      };
      pid = startServerProcess(this.serverLaunch(), env, logFile).pid;
    } catch (e) {
      const reason = e instanceof LaunchFailure ? e.message : `could not start the server: ${e instanceof Error ? e.message : String(e)}`;
      await this.store.update((s) => {
        const ep = s.endpoints[endpointName];
        if (!ep) return;
        failPending(ep, reason, logFile);
      });
      return;
    }
    const timeoutS = variant.containerStartupHealthCheckTimeoutInSeconds ?? DEFAULT_STARTUP_HEALTH_CHECK_SECONDS;
    const instance: LocalInstanceRecord = {
      id,
      pid,
      port,
      endpointConfigName,
      variantName: variant.variantName,
      modelName: variant.modelName,
      workDir,
      modelDir,
      logFile,
      startedAt: now(),
      startDeadline: new Date(Date.now() + timeoutS * 1000).toISOString(),
    };
    const orphan = await this.store.update((s) => {
      const ep = s.endpoints[endpointName];
      if (!ep || ep.status === 'Deleting') return true;
      ep.pending = instance;
      return false;
    });
    if (orphan) await stopProcess(pid, id, this.killAfterMs);
  }

  /**
   * Brings the recorded state up to date with the processes: a pending instance that answers
   * /ping becomes current (the old one is stopped); one that died, reported a failed load or
   * missed its startup window fails the creation, or rolls an update back to the old config with
   * FailureReason set; a current instance whose pid is gone turns the endpoint Failed.
   */
  async reconcile(endpointName: string): Promise<LocalEndpointRecord | undefined> {
    let snapshot = (await this.store.read()).endpoints[endpointName];
    if (!snapshot) return undefined;
    if (snapshot.front && snapshot.status !== 'Deleting') {
      await this.healFront(endpointName, snapshot.front);
      snapshot = (await this.store.read()).endpoints[endpointName];
      if (!snapshot) return undefined;
    }
    let pendingProbe = snapshot.pending ? await this.probe(snapshot.pending) : undefined;
    // InService means reachable at the endpoint's URL: its front must listen too.
    const front = snapshot.front;
    if (pendingProbe?.state === 'ready' && front && !(await listening(front.port))) {
      pendingProbe = (await isOurProcess(front.pid, front.id))
        ? { state: 'starting' }
        : {
            state: 'failed',
            reason: `the endpoint's front proxy (port ${front.port}) exited (${lastErrorLine(await tailFile(front.logFile, 40)) ?? 'no error in its log'})`,
          };
    }
    const currentAlive = snapshot.current ? await isOurProcess(snapshot.current.pid, snapshot.current.id) : undefined;
    const toStop: LocalInstanceRecord[] = [];
    const result = await this.store.update(async (s) => {
      const e = s.endpoints[endpointName];
      if (!e) return undefined;
      // Only act on what we probed: another command may have moved the record on meanwhile.
      if (e.pending && pendingProbe && e.pending.id === snapshot.pending?.id) {
        const p = e.pending;
        if (pendingProbe.state === 'ready') {
          // The switch: from here on the front sends new requests to the new instance, and only
          // then is the old one stopped (it drains what it has).
          if (e.front) await writeRoute(endpointDirOf(this.store.dir, endpointName), p.port);
          if (e.current) toStop.push(e.current);
          e.current = p;
          e.pending = undefined;
          e.endpointConfigName = p.endpointConfigName;
          e.status = 'InService';
          e.failureReason = undefined;
          e.lastModifiedTime = now();
        } else if (pendingProbe.state === 'failed') {
          toStop.push(p);
          const reason = `The primary container for production variant ${p.variantName} did not pass the ping health check: ${pendingProbe.reason}. Log: ${p.logFile}`;
          failPending(e, reason, p.logFile);
        }
      }
      if (e.current && currentAlive === false && e.current.id === snapshot.current?.id && e.status !== 'Deleting') {
        const c = e.current;
        e.current = undefined;
        e.status = 'Failed';
        e.failureReason = `The server process (pid ${c.pid}) of production variant ${c.variantName} is gone (stale pid): ${lastErrorLine(await tailFile(c.logFile, 40)) ?? 'no error in its log'}. Log: ${c.logFile}`;
        e.failedLog = c.logFile;
        e.lastModifiedTime = now();
        if (e.pending) toStop.push(e.pending);
        e.pending = undefined;
      }
      return { ...e };
    });
    if (result?.current && result.status === 'InService' && !toStop.includes(result.current)) {
      const hung = await this.unresponsive(result.current);
      if (hung) return { ...result, status: 'OutOfService', failureReason: hung };
    }
    await Promise.all(
      toStop.map(async (i) => {
        await stopProcess(i.pid, i.id, this.killAfterMs);
        // Keep the log of a failed instance for the FailureReason; drop the model copy.
        await rm(i.modelDir.startsWith(i.workDir) ? i.modelDir : join(i.workDir, 'model'), { recursive: true, force: true });
      }),
    );
    return result;
  }

  /**
   * A live pid is not a serving instance: a stopped (SIGSTOP) or wedged server holds its port and
   * answers nothing. Its /ping must answer within the liveness timeout, or the endpoint reads
   * OutOfService (not recorded: it is InService again once the server answers).
   */
  private async unresponsive(i: LocalInstanceRecord): Promise<string | undefined> {
    const state = processState(i.pid);
    const what = state === 'T' || state === 't' ? 'is stopped (SIGSTOP or a debugger)' : 'does not answer';
    try {
      const r = await localRequest({ port: i.port, method: 'GET', path: '/ping', timeoutMs: this.livenessTimeoutMs });
      if (r.status === 200) return undefined;
      return `The server process (pid ${i.pid}) of production variant ${i.variantName} answers /ping with ${r.status}. Log: ${i.logFile}`;
    } catch (e) {
      const why =
        e instanceof LocalHttpTimeout
          ? `no answer to /ping within ${this.livenessTimeoutMs} ms`
          : `/ping failed: ${e instanceof Error ? e.message : String(e)}`;
      return `The server process (pid ${i.pid}) of production variant ${i.variantName} ${what} (${why}). Log: ${i.logFile}`;
    }
  }

  private async probe(i: LocalInstanceRecord): Promise<Probe> {
    if (!(await isOurProcess(i.pid, i.id))) {
      const tail = await tailFile(i.logFile, 40);
      return { state: 'failed', reason: `the server process exited (${lastErrorLine(tail) ?? 'no error in its log'})` };
    }
    try {
      const r = await localRequest({ port: i.port, method: 'GET', path: '/ping', timeoutMs: PING_TIMEOUT_MS });
      if (r.status === 200) return { state: 'ready' };
      const text = r.body.toString('utf8');
      // The server keeps answering 503 after a failed model load: fail now, not after the window.
      if (/model failed to load/i.test(text)) {
        let message = text;
        try {
          message = (JSON.parse(text) as { error?: { message?: string } }).error?.message ?? text;
        } catch {
          // keep the raw body
        }
        return { state: 'failed', reason: message };
      }
    } catch {
      // not listening yet (or the 2 s ping timeout): still starting
    }
    if (Date.now() > Date.parse(i.startDeadline)) {
      return {
        state: 'failed',
        reason: `no 200 from /ping within the startup window (${Math.round((Date.parse(i.startDeadline) - Date.parse(i.startedAt)) / 1000)} s)`,
      };
    }
    return { state: 'starting' };
  }
}

class LaunchFailure extends Error {}

/** A creation that fails ends Failed; an update that fails leaves the old config serving (rollback). */
function failPending(e: LocalEndpointRecord, reason: string, logFile: string): void {
  e.pending = undefined;
  e.failureReason = reason;
  e.failedLog = logFile;
  e.lastModifiedTime = now();
  e.status = e.status === 'Updating' && e.current ? 'InService' : 'Failed';
}

/**
 * SageMaker extracts ModelDataUrl into /opt/ml/model before the container starts; here the
 * archive is verified and unpacked by @vad/artifacts (no links, no tar-slip, digests checked)
 * into the instance's own directory. A model directory is used in place, read-only.
 */
async function prepareModelDir(source: string, url: string, into: string): Promise<string> {
  let isDir: boolean;
  try {
    isDir = (await stat(source)).isDirectory();
  } catch {
    throw new LaunchFailure(
      `Failed to download model data for container "container_1" from URL: "${url}". Please ensure that there is an object located at the URL.`,
    );
  }
  if (isDir) {
    if (!existsSync(join(source, 'manifest.json'))) throw new LaunchFailure(`model directory ${source} has no manifest.json`);
    return source;
  }
  const { unpackModel } = await import('@vad/artifacts');
  try {
    await unpackModel(source, into);
  } catch (e) {
    throw new LaunchFailure(
      `Failed to extract model data archive for container "container_1" from URL "${url}". Please ensure that the object located at the URL is a valid tar.gz archive: ${e instanceof Error ? e.message : String(e)}`,
    );
  }
  return into;
}
