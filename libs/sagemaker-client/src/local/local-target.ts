import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  InvocationTimeoutError,
  ModelError,
  NotFoundError,
  PayloadTooLargeError,
  ResourceInUseError,
  ValidationError,
} from '../errors';
import {
  assertInvokeOptions,
  assertResourceName,
  DEFAULT_CLIENT_TIMEOUT_MS,
  DEFAULT_STARTUP_HEALTH_CHECK_SECONDS,
  DEFAULT_VARIANT_NAME,
  MAX_REALTIME_PAYLOAD_BYTES,
  PING_TIMEOUT_MS,
  SAGEMAKER_INVOCATION_TIMEOUT_MS,
  toBytes,
} from '../rules';
import type {
  EndpointConfigDescription,
  EndpointConfigSpec,
  EndpointDescription,
  EndpointSpec,
  EndpointTarget,
  InvokeBody,
  InvokeOptions,
  InvokeResult,
  ModelDescription,
  ModelSpec,
  ResourceKind,
  TagFilter,
  TaggedResource,
  Tags,
  UpdateEndpointSpec,
  WaitOptions,
} from '../target';
import { pollUntilDeleted, pollUntilInService } from '../waiters';
import { EndpointLocks, ENDPOINT_TAG } from './endpoint-lock';
import { LocalHttpTimeout, localRequest, openLocalRequest } from './http';
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
import { defaultStateDir, LocalStateStore, type LocalEndpointRecord, type LocalInstanceRecord, type LocalState } from './state';

export interface LocalTargetOptions {
  /** Where the state file, unpacked models and server logs live. Default: VAD_LOCAL_STATE_DIR or ~/.vad-serve/local. */
  stateDir?: string;
  /** How to start apps/server; default: VAD_LOCAL_SERVER (bundle|sources), else the built bundle if present, else the sources. */
  server?: ServerLaunch | 'auto' | 'bundle' | 'sources';
  /** VAD_WORKERS for each server (default 1: a laptop runs several endpoints). The model's environment wins. */
  workers?: number;
  /** SageMaker's 60 s invocation cut (lower it in tests). */
  invocationTimeoutMs?: number;
  /** SIGTERM → SIGKILL grace (SageMaker: 30 s). */
  killAfterMs?: number;
  /** How long a serving instance may take to answer /ping on describe before it reads OutOfService (default SageMaker's 2 s). */
  livenessTimeoutMs?: number;
}

const ACCOUNT = '000000000000';
const REGION = 'local';

function arn(kind: string, name: string): string {
  return `arn:aws:sagemaker:${REGION}:${ACCOUNT}:${kind}/${name.toLowerCase()}`;
}

function now(): string {
  return new Date().toISOString();
}

type Probe = { state: 'ready' } | { state: 'starting' } | { state: 'failed'; reason: string };

/**
 * SageMaker's hosting API over local server processes, no Docker and no AWS: an endpoint is one
 * apps/server process on a free loopback port, started from the unpacked model.tar.gz, with the
 * same lifecycle (Creating → InService | Failed with a FailureReason from the server's log;
 * Updating = start new, switch, stop old, and a failed update rolls back to the old config with
 * FailureReason set, exactly as SageMaker does). Processes are detached and recorded in a state
 * file, so endpoints outlive the command that created them until they are deleted; states are
 * reconciled on every describe (the ping decides InService, a dead pid decides Failed).
 */
export class LocalTarget implements EndpointTarget {
  readonly kind = 'local' as const;
  readonly store: LocalStateStore;
  private readonly launch: ServerLaunch | 'auto' | 'bundle' | 'sources';
  private readonly workers: number;
  private readonly invocationTimeoutMs: number;
  private readonly killAfterMs: number;
  private readonly locks: EndpointLocks;
  private readonly livenessTimeoutMs: number;

  constructor(options: LocalTargetOptions = {}) {
    this.store = new LocalStateStore(resolve(options.stateDir ?? defaultStateDir()));
    this.locks = new EndpointLocks(this.store.dir);
    this.livenessTimeoutMs = options.livenessTimeoutMs ?? PING_TIMEOUT_MS;
    const envMode = process.env['VAD_LOCAL_SERVER'];
    this.launch = options.server ?? (envMode === 'bundle' || envMode === 'sources' ? envMode : 'auto');
    this.workers = options.workers ?? 1;
    this.invocationTimeoutMs = options.invocationTimeoutMs ?? SAGEMAKER_INVOCATION_TIMEOUT_MS;
    this.killAfterMs = options.killAfterMs ?? 30_000;
  }

  get stateDir(): string {
    return this.store.dir;
  }

  // ------------------------------------------------------------------------------------------
  // Models
  // ------------------------------------------------------------------------------------------

  async createModel(spec: ModelSpec): Promise<{ modelArn: string }> {
    assertResourceName('model', spec.modelName);
    if (spec.tags?.[ENDPOINT_TAG]) await this.locks.acquire(spec.tags[ENDPOINT_TAG]);
    const source = localPath(spec.modelDataUrl);
    // Like CreateModel's "Could not find model data at …": the artifact must exist now.
    try {
      await stat(source);
    } catch {
      throw new ValidationError(`Could not find model data at ${spec.modelDataUrl}.`);
    }
    const modelArn = arn('model', spec.modelName);
    await this.store.update((s) => {
      if (s.models[spec.modelName]) throw new ValidationError(`Cannot create already existing model "${modelArn}".`);
      s.models[spec.modelName] = {
        modelName: spec.modelName,
        modelArn,
        image: spec.image,
        modelDataUrl: spec.modelDataUrl,
        source,
        environment: { ...spec.environment },
        tags: { ...spec.tags },
        creationTime: now(),
      };
    });
    return { modelArn };
  }

  async describeModel(modelName: string): Promise<ModelDescription> {
    const m = (await this.store.read()).models[modelName];
    if (!m) throw new NotFoundError(`Could not find model "${arn('model', modelName)}".`, { resourceKind: 'model', resourceName: modelName });
    return { modelName: m.modelName, modelArn: m.modelArn, image: m.image, modelDataUrl: m.modelDataUrl, environment: { ...m.environment }, creationTime: new Date(m.creationTime) };
  }

  async deleteModel(modelName: string): Promise<void> {
    await this.store.update((s) => {
      if (!s.models[modelName]) throw new NotFoundError(`Could not find model "${arn('model', modelName)}".`, { resourceKind: 'model', resourceName: modelName });
      // SageMaker lets a model be deleted while an endpoint runs it: instances hold their own copy.
      delete s.models[modelName];
    });
  }

  // ------------------------------------------------------------------------------------------
  // Endpoint configs
  // ------------------------------------------------------------------------------------------

  async createEndpointConfig(spec: EndpointConfigSpec): Promise<{ endpointConfigArn: string }> {
    assertResourceName('endpoint config', spec.endpointConfigName);
    if (spec.variants.length === 0) throw new ValidationError('an endpoint config needs at least one production variant');
    if (spec.variants.length > 1) throw new ValidationError('the local target serves one production variant per endpoint');
    if (spec.tags?.[ENDPOINT_TAG]) await this.locks.acquire(spec.tags[ENDPOINT_TAG]);
    const endpointConfigArn = arn('endpoint-config', spec.endpointConfigName);
    await this.store.update((s) => {
      if (s.endpointConfigs[spec.endpointConfigName]) throw new ValidationError(`Cannot create already existing endpoint configuration "${endpointConfigArn}".`);
      for (const v of spec.variants) {
        if (!s.models[v.modelName]) throw new ValidationError(`Could not find model "${arn('model', v.modelName)}".`);
      }
      s.endpointConfigs[spec.endpointConfigName] = {
        endpointConfigName: spec.endpointConfigName,
        endpointConfigArn,
        variants: spec.variants.map((v) => ({
          variantName: v.variantName ?? DEFAULT_VARIANT_NAME,
          modelName: v.modelName,
          instanceType: v.instanceType,
          initialInstanceCount: v.initialInstanceCount ?? 1,
          initialVariantWeight: v.initialVariantWeight ?? 1,
          containerStartupHealthCheckTimeoutInSeconds: v.containerStartupHealthCheckTimeoutInSeconds,
        })),
        asyncInference: spec.asyncInference,
        dataCapture: spec.dataCapture,
        tags: { ...spec.tags },
        creationTime: now(),
      };
    });
    return { endpointConfigArn };
  }

  async describeEndpointConfig(endpointConfigName: string): Promise<EndpointConfigDescription> {
    const c = (await this.store.read()).endpointConfigs[endpointConfigName];
    if (!c) throw new NotFoundError(`Could not find endpoint configuration "${arn('endpoint-config', endpointConfigName)}".`, { resourceKind: 'endpoint-config', resourceName: endpointConfigName });
    return {
      endpointConfigName: c.endpointConfigName,
      endpointConfigArn: c.endpointConfigArn,
      variants: c.variants.map((v) => ({ ...v })),
      asyncInference: c.asyncInference,
      dataCapture: c.dataCapture,
      creationTime: new Date(c.creationTime),
    };
  }

  async deleteEndpointConfig(endpointConfigName: string): Promise<void> {
    await this.store.update((s) => {
      if (!s.endpointConfigs[endpointConfigName]) {
        throw new NotFoundError(`Could not find endpoint configuration "${arn('endpoint-config', endpointConfigName)}".`, { resourceKind: 'endpoint-config', resourceName: endpointConfigName });
      }
      const user = Object.values(s.endpoints).find((e) => e.endpointConfigName === endpointConfigName || e.pending?.endpointConfigName === endpointConfigName);
      if (user) throw new ResourceInUseError(`endpoint configuration ${endpointConfigName} is in use by endpoint ${user.endpointName}`);
      delete s.endpointConfigs[endpointConfigName];
    });
  }

  // ------------------------------------------------------------------------------------------
  // Endpoints
  // ------------------------------------------------------------------------------------------

  async createEndpoint(spec: EndpointSpec): Promise<{ endpointArn: string }> {
    assertResourceName('endpoint', spec.endpointName);
    await this.locks.acquire(spec.endpointName);
    const endpointArn = arn('endpoint', spec.endpointName);
    await this.store.update((s) => {
      if (s.endpoints[spec.endpointName]) throw new ValidationError(`Cannot create already existing endpoint "${endpointArn}".`);
      if (!s.endpointConfigs[spec.endpointConfigName]) throw new ValidationError(`Could not find endpoint configuration "${arn('endpoint-config', spec.endpointConfigName)}".`);
      s.endpoints[spec.endpointName] = {
        endpointName: spec.endpointName,
        endpointArn,
        endpointConfigName: spec.endpointConfigName,
        status: 'Creating',
        tags: { ...spec.tags },
        creationTime: now(),
        lastModifiedTime: now(),
      };
    });
    await this.launchPending(spec.endpointName, spec.endpointConfigName);
    return { endpointArn };
  }

  async updateEndpoint(spec: UpdateEndpointSpec): Promise<{ endpointArn: string }> {
    await this.locks.acquire(spec.endpointName);
    await this.reconcile(spec.endpointName);
    const endpointArn = await this.store.update((s) => {
      const e = s.endpoints[spec.endpointName];
      if (!e) throw new ValidationError(`Could not find endpoint "${arn('endpoint', spec.endpointName)}".`);
      if (!s.endpointConfigs[spec.endpointConfigName]) throw new ValidationError(`Could not find endpoint configuration "${arn('endpoint-config', spec.endpointConfigName)}".`);
      if (e.status === 'Failed') throw new ValidationError(`Cannot update failed endpoint "${e.endpointArn}"; delete it and create it again.`);
      // A hung instance reads OutOfService only in descriptions (unresponsive()); its record stays
      // InService, so an update replaces it.
      if (e.status !== 'InService') throw new ValidationError(`Cannot update in-progress endpoint "${e.endpointArn}" (status ${e.status}).`);
      e.status = 'Updating';
      e.failureReason = undefined;
      e.lastModifiedTime = now();
      return e.endpointArn;
    });
    await this.launchPending(spec.endpointName, spec.endpointConfigName);
    return { endpointArn };
  }

  async describeEndpoint(endpointName: string): Promise<EndpointDescription> {
    const e = await this.reconcile(endpointName);
    if (!e) throw new NotFoundError(`Could not find endpoint "${arn('endpoint', endpointName)}".`, { resourceKind: 'endpoint', resourceName: endpointName });
    const state = await this.store.read();
    return this.toDescription(e, state);
  }

  async deleteEndpoint(endpointName: string): Promise<void> {
    const instances = await this.store.update((s) => {
      const e = s.endpoints[endpointName];
      if (!e) throw new ValidationError(`Could not find endpoint "${arn('endpoint', endpointName)}".`);
      e.status = 'Deleting';
      e.lastModifiedTime = now();
      return [e.current, e.pending].filter((i): i is LocalInstanceRecord => !!i);
    });
    // Stopping takes up to the drain window: outside the lock, so other commands are not blocked.
    await Promise.all(instances.map((i) => stopProcess(i.pid, i.id, this.killAfterMs)));
    await this.store.update((s) => {
      delete s.endpoints[endpointName];
    });
    await rm(join(this.store.dir, 'endpoints', endpointName), { recursive: true, force: true });
    await this.locks.release(endpointName);
  }

  /** The wait ends a deploy's changes to the endpoint: its lock goes, whatever the outcome. */
  async waitForEndpoint(endpointName: string, options: WaitOptions = {}): Promise<EndpointDescription> {
    try {
      return await pollUntilInService(this.poller(), endpointName, options, { pollSeconds: 0.25, maxWaitSeconds: 300 });
    } finally {
      await this.locks.release(endpointName);
    }
  }

  waitForEndpointDeleted(endpointName: string, options: WaitOptions = {}): Promise<void> {
    return pollUntilDeleted(this.poller(), endpointName, options, { pollSeconds: 0.25, maxWaitSeconds: 120 });
  }

  // ------------------------------------------------------------------------------------------
  // Invocation, with SageMaker's rules
  // ------------------------------------------------------------------------------------------

  async invoke(endpointName: string, body: InvokeBody, options: InvokeOptions = {}): Promise<InvokeResult> {
    const { instance, variantName, bytes, headers, clientTimeout, deadline } = await this.prepareInvoke(endpointName, body, options);
    let res;
    try {
      res = await localRequest({ port: instance.port, method: 'POST', path: '/invocations', headers, body: bytes, timeoutMs: deadline, signal: options.signal });
    } catch (e) {
      throw this.invokeFailure(e, endpointName, instance, clientTimeout);
    }
    if (res.status < 200 || res.status > 299) {
      throw new ModelError(endpointName, res.status, res.body.toString('utf8'), { logLocation: instance.logFile });
    }
    const h = (n: string): string | undefined => {
      const v = res.headers[n];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    return {
      body: new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.byteLength),
      contentType: h('content-type'),
      customAttributes: h('x-amzn-sagemaker-custom-attributes'),
      newSessionId: h('x-amzn-sagemaker-new-session-id'),
      closedSessionId: h('x-amzn-sagemaker-closed-session-id'),
      invokedProductionVariant: variantName,
    };
  }

  async *invokeStream(endpointName: string, body: InvokeBody, options: InvokeOptions = {}): AsyncIterable<Uint8Array> {
    if (options.sessionId === 'NEW_SESSION') throw new ValidationError('a stateful session cannot be started with the streaming API; start it with invoke()');
    const { instance, bytes, headers, clientTimeout, deadline } = await this.prepareInvoke(endpointName, body, options);
    let opened;
    try {
      opened = await openLocalRequest({ port: instance.port, method: 'POST', path: '/invocations', headers, body: bytes, timeoutMs: deadline, signal: options.signal });
    } catch (e) {
      throw this.invokeFailure(e, endpointName, instance, clientTimeout);
    }
    const { res, timedOut } = opened;
    const status = res.statusCode ?? 0;
    try {
      if (status < 200 || status > 299) {
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        throw new ModelError(endpointName, status, Buffer.concat(chunks).toString('utf8'), { logLocation: instance.logFile });
      }
      for await (const c of res) {
        const b = c as Buffer;
        yield new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      }
      if (timedOut()) throw new LocalHttpTimeout(deadline);
    } catch (e) {
      if (e instanceof ModelError) throw e;
      throw this.invokeFailure(timedOut() ? new LocalHttpTimeout(deadline) : e, endpointName, instance, clientTimeout);
    }
  }

  // ------------------------------------------------------------------------------------------
  // Tags
  // ------------------------------------------------------------------------------------------

  async listTaggedResources(filter: TagFilter): Promise<TaggedResource[]> {
    const s = await this.store.read();
    const kinds = new Set<ResourceKind>(filter.kinds ?? ['model', 'endpoint-config', 'endpoint']);
    const match = (tags: Tags): boolean => filter.key in tags && (filter.value === undefined || tags[filter.key] === filter.value);
    const out: TaggedResource[] = [];
    if (kinds.has('endpoint')) {
      for (const e of Object.values(s.endpoints)) if (match(e.tags)) out.push({ kind: 'endpoint', name: e.endpointName, arn: e.endpointArn, tags: { ...e.tags }, status: e.status });
    }
    if (kinds.has('endpoint-config')) {
      for (const c of Object.values(s.endpointConfigs)) if (match(c.tags)) out.push({ kind: 'endpoint-config', name: c.endpointConfigName, arn: c.endpointConfigArn, tags: { ...c.tags } });
    }
    if (kinds.has('model')) {
      for (const m of Object.values(s.models)) if (match(m.tags)) out.push({ kind: 'model', name: m.modelName, arn: m.modelArn, tags: { ...m.tags } });
    }
    return out;
  }

  async addTags(kind: ResourceKind, name: string, tags: Tags): Promise<void> {
    await this.store.update((s) => {
      const rec = kind === 'model' ? s.models[name] : kind === 'endpoint-config' ? s.endpointConfigs[name] : s.endpoints[name];
      if (!rec) throw new NotFoundError(`Could not find ${kind} "${name}".`, { resourceKind: kind, resourceName: name });
      Object.assign(rec.tags, tags);
    });
  }

  /** Pids and ports of every recorded server process (for tests and `status`). */
  async processes(): Promise<Array<{ endpointName: string; pid: number; port: number; alive: boolean }>> {
    const s = await this.store.read();
    const out: Array<{ endpointName: string; pid: number; port: number; alive: boolean }> = [];
    for (const e of Object.values(s.endpoints)) {
      for (const i of [e.current, e.pending]) if (i) out.push({ endpointName: e.endpointName, pid: i.pid, port: i.port, alive: await isOurProcess(i.pid, i.id) });
    }
    return out;
  }

  // ------------------------------------------------------------------------------------------
  // Internals
  // ------------------------------------------------------------------------------------------

  private poller() {
    return {
      describeEndpoint: (name: string) => this.describeEndpoint(name),
      logExcerpt: async (d: EndpointDescription) => {
        const e = (await this.store.read()).endpoints[d.endpointName];
        const file = e?.failedLog ?? e?.current?.logFile;
        return file ? tailFile(file, 30) : [];
      },
    };
  }

  private serverLaunch(): ServerLaunch {
    return typeof this.launch === 'string' ? resolveServerLaunch(this.launch) : this.launch;
  }

  /** Unpacks the variant's model for a new instance and starts it; failures become FailureReason. */
  private async launchPending(endpointName: string, endpointConfigName: string): Promise<void> {
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
  private async reconcile(endpointName: string): Promise<LocalEndpointRecord | undefined> {
    const snapshot = (await this.store.read()).endpoints[endpointName];
    if (!snapshot) return undefined;
    const pendingProbe = snapshot.pending ? await this.probe(snapshot.pending) : undefined;
    const currentAlive = snapshot.current ? await isOurProcess(snapshot.current.pid, snapshot.current.id) : undefined;
    const toStop: LocalInstanceRecord[] = [];
    const result = await this.store.update(async (s) => {
      const e = s.endpoints[endpointName];
      if (!e) return undefined;
      // Only act on what we probed: another command may have moved the record on meanwhile.
      if (e.pending && pendingProbe && e.pending.id === snapshot.pending?.id) {
        const p = e.pending;
        if (pendingProbe.state === 'ready') {
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
    await Promise.all(toStop.map(async (i) => {
      await stopProcess(i.pid, i.id, this.killAfterMs);
      // Keep the log of a failed instance for the FailureReason; drop the model copy.
      await rm(i.modelDir.startsWith(i.workDir) ? i.modelDir : join(i.workDir, 'model'), { recursive: true, force: true });
    }));
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
      const why = e instanceof LocalHttpTimeout ? `no answer to /ping within ${this.livenessTimeoutMs} ms` : `/ping failed: ${e instanceof Error ? e.message : String(e)}`;
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
      return { state: 'failed', reason: `no 200 from /ping within the startup window (${Math.round((Date.parse(i.startDeadline) - Date.parse(i.startedAt)) / 1000)} s)` };
    }
    return { state: 'starting' };
  }

  private toDescription(e: LocalEndpointRecord, s: LocalState): EndpointDescription {
    const serving = e.current ?? e.pending;
    const config = s.endpointConfigs[e.endpointConfigName];
    const variantName = serving?.variantName ?? config?.variants[0]?.variantName ?? DEFAULT_VARIANT_NAME;
    const model = serving ? s.models[serving.modelName] : undefined;
    const launch = (() => {
      try {
        const l = this.serverLaunch();
        return `${l.command} ${l.args.join(' ')}`;
      } catch {
        return undefined;
      }
    })();
    return {
      endpointName: e.endpointName,
      endpointArn: e.endpointArn,
      endpointConfigName: e.endpointConfigName,
      status: e.status,
      failureReason: e.failureReason,
      creationTime: new Date(e.creationTime),
      lastModifiedTime: new Date(e.lastModifiedTime),
      pendingEndpointConfigName: e.pending && e.status === 'Updating' ? e.pending.endpointConfigName : undefined,
      url: e.current ? `http://127.0.0.1:${e.current.port}` : undefined,
      variants: [
        {
          variantName,
          deployedImages: serving ? [{ specifiedImage: model?.image ?? 'local:apps/server', resolvedImage: launch }] : [],
          currentInstanceCount: e.current ? 1 : 0,
          desiredInstanceCount: 1,
          currentWeight: 1,
          desiredWeight: 1,
          variantStatus: e.pending
            ? [{ status: e.status === 'Updating' ? 'Updating' : 'Creating', statusMessage: `server pid ${e.pending.pid} on port ${e.pending.port}, waiting for /ping`, startTime: new Date(e.pending.startedAt) }]
            : [],
        },
      ],
    };
  }

  private async prepareInvoke(endpointName: string, body: InvokeBody, options: InvokeOptions) {
    assertInvokeOptions(options);
    const bytes = toBytes(body);
    if (bytes.byteLength > MAX_REALTIME_PAYLOAD_BYTES) throw new PayloadTooLargeError(bytes.byteLength, MAX_REALTIME_PAYLOAD_BYTES);
    const e = await this.reconcile(endpointName);
    if (!e) throw new NotFoundError(`Endpoint ${endpointName} of account ${ACCOUNT} not found.`, { resourceKind: 'endpoint', resourceName: endpointName });
    // While Updating, traffic still goes to the old instance, as on SageMaker.
    const instance = e.current;
    if (!instance || (e.status !== 'InService' && e.status !== 'Updating')) {
      throw new ValidationError(`Endpoint ${endpointName} is ${e.status}, not InService${e.failureReason ? `: ${e.failureReason}` : ''}`);
    }
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? 'application/json',
      accept: options.accept ?? 'application/json',
    };
    if (options.customAttributes !== undefined) headers['x-amzn-sagemaker-custom-attributes'] = options.customAttributes;
    if (options.sessionId !== undefined) headers['x-amzn-sagemaker-session-id'] = options.sessionId;
    if (options.inferenceId !== undefined) headers['x-amzn-sagemaker-inference-id'] = options.inferenceId;
    const clientTimeout = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
    return { instance, variantName: instance.variantName, bytes, headers, clientTimeout, deadline: Math.min(clientTimeout, this.invocationTimeoutMs) };
  }

  private invokeFailure(e: unknown, endpointName: string, instance: LocalInstanceRecord, clientTimeout: number): Error {
    if (e instanceof LocalHttpTimeout) {
      if (clientTimeout <= this.invocationTimeoutMs) {
        return new InvocationTimeoutError(`invocation of ${endpointName} did not complete within the client timeout of ${clientTimeout} ms`, clientTimeout, { cause: e });
      }
      // SageMaker's own 60 s cut surfaces as a ModelError, with SageMaker's wording.
      return new ModelError(endpointName, 0, '', {
        message: `Your invocation timed out while waiting for a response from container primary (${this.invocationTimeoutMs} ms).`,
        logLocation: instance.logFile,
      });
    }
    if (e instanceof Error && (e.name === 'AbortError' || e.message === 'aborted')) return e;
    return new ModelError(endpointName, 0, '', {
      message: `Received server error (0) from primary: could not get a response from the ${endpointName} endpoint (${e instanceof Error ? e.message : String(e)}).`,
      logLocation: instance.logFile,
      cause: e,
    });
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

/** `file://…`, an absolute or a relative path → an absolute path; s3:// is refused. */
function localPath(url: string): string {
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new ValidationError(`the local target reads model data from local paths or file:// URLs, not ${url}`);
  return isAbsolute(url) ? url : resolve(url);
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
    throw new LaunchFailure(`Failed to download model data for container "container_1" from URL: "${url}". Please ensure that there is an object located at the URL.`);
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
