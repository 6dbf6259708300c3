import { rm } from 'node:fs/promises';
import { resolve } from 'node:path';
import { NotFoundError, ValidationError } from '../errors';
import { assertResourceName, SAGEMAKER_INVOCATION_TIMEOUT_MS } from '../rules';
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
import { toDescription } from './describe';
import { EndpointLocks } from './endpoint-lock';
import { endpointDirOf } from './front';
import { LocalInvoker } from './invocation';
import { arn, now } from './names';
import { isOurProcess, stopProcess, tailFile, type ServerLaunch } from './processes';
import { assertOwner } from './owner';
import { LocalRegistry } from './registry';
import { defaultStateDir, LocalStateStore, type LocalFrontRecord, type LocalInstanceRecord } from './state';
import { InstanceSupervisor } from './supervisor';

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
  /**
   * Who this target acts for (the deployer passes its deploy state file): recorded on what it
   * creates, and what another owner created is refused (OwnedElsewhereError). Unset: no checks.
   */
  owner?: string;
  /** How long a serving instance may take to answer /ping on describe before it reads OutOfService (default SageMaker's 2 s). */
  livenessTimeoutMs?: number;
}

/**
 * SageMaker's hosting API over local server processes, no Docker and no AWS: an endpoint is one
 * apps/server process on a free loopback port, started from the unpacked model.tar.gz, with the
 * same lifecycle (Creating → InService | Failed with a FailureReason from the server's log;
 * Updating = start new, switch, stop old, and a failed update rolls back to the old config with
 * FailureReason set, exactly as SageMaker does). Processes are detached and recorded in a state
 * file, so endpoints outlive the command that created them until they are deleted; states are
 * reconciled on every describe (the ping decides InService, a dead pid decides Failed).
 *
 * This class wires the parts and keeps the endpoint lifecycle, which needs all of them: the
 * registry (models, endpoint configs, tags), the supervisor (server processes, reconcile), the
 * invoker (SageMaker's invocation rules), describe.ts (DescribeEndpoint's shape) and the
 * per-endpoint deploy lock.
 */
export class LocalTarget implements EndpointTarget {
  readonly kind = 'local' as const;
  readonly store: LocalStateStore;
  private readonly locks: EndpointLocks;
  private readonly supervisor: InstanceSupervisor;
  private readonly registry: LocalRegistry;
  private readonly invoker: LocalInvoker;
  private readonly owner: string | undefined;

  constructor(options: LocalTargetOptions = {}) {
    this.store = new LocalStateStore(resolve(options.stateDir ?? defaultStateDir()));
    this.locks = new EndpointLocks(this.store.dir);
    const envMode = process.env['VAD_LOCAL_SERVER'];
    this.supervisor = new InstanceSupervisor(this.store, {
      launch: options.server ?? (envMode === 'bundle' || envMode === 'sources' ? envMode : 'auto'),
      workers: options.workers ?? 1,
      killAfterMs: options.killAfterMs ?? 30_000,
      livenessTimeoutMs: options.livenessTimeoutMs,
    });
    this.owner = options.owner;
    this.registry = new LocalRegistry(this.store, this.locks, this.owner);
    this.invoker = new LocalInvoker(this.supervisor, options.invocationTimeoutMs ?? SAGEMAKER_INVOCATION_TIMEOUT_MS);
  }

  get stateDir(): string {
    return this.store.dir;
  }

  createModel(spec: ModelSpec): Promise<{ modelArn: string }> {
    return this.registry.createModel(spec);
  }

  describeModel(modelName: string): Promise<ModelDescription> {
    return this.registry.describeModel(modelName);
  }

  deleteModel(modelName: string): Promise<void> {
    return this.registry.deleteModel(modelName);
  }

  createEndpointConfig(spec: EndpointConfigSpec): Promise<{ endpointConfigArn: string }> {
    return this.registry.createEndpointConfig(spec);
  }

  describeEndpointConfig(endpointConfigName: string): Promise<EndpointConfigDescription> {
    return this.registry.describeEndpointConfig(endpointConfigName);
  }

  deleteEndpointConfig(endpointConfigName: string): Promise<void> {
    return this.registry.deleteEndpointConfig(endpointConfigName);
  }

  listTaggedResources(filter: TagFilter): Promise<TaggedResource[]> {
    return this.registry.listTaggedResources(filter);
  }

  addTags(kind: ResourceKind, name: string, tags: Tags): Promise<void> {
    return this.registry.addTags(kind, name, tags);
  }

  invoke(endpointName: string, body: InvokeBody, options: InvokeOptions = {}): Promise<InvokeResult> {
    return this.invoker.invoke(endpointName, body, options);
  }

  invokeStream(endpointName: string, body: InvokeBody, options: InvokeOptions = {}): AsyncIterable<Uint8Array> {
    return this.invoker.invokeStream(endpointName, body, options);
  }

  async createEndpoint(spec: EndpointSpec): Promise<{ endpointArn: string }> {
    assertResourceName('endpoint', spec.endpointName);
    await this.claim(spec.endpointName);
    const endpointArn = arn('endpoint', spec.endpointName);
    await this.store.update((s) => {
      assertOwner(s.endpoints[spec.endpointName], this.owner, `local endpoint ${spec.endpointName}`);
      if (s.endpoints[spec.endpointName]) throw new ValidationError(`Cannot create already existing endpoint "${endpointArn}".`);
      if (!s.endpointConfigs[spec.endpointConfigName])
        throw new ValidationError(`Could not find endpoint configuration "${arn('endpoint-config', spec.endpointConfigName)}".`);
      s.endpoints[spec.endpointName] = {
        endpointName: spec.endpointName,
        endpointArn,
        endpointConfigName: spec.endpointConfigName,
        status: 'Creating',
        tags: { ...spec.tags },
        owner: this.owner,
        creationTime: now(),
        lastModifiedTime: now(),
      };
    });
    await this.supervisor.launchPending(spec.endpointName, spec.endpointConfigName);
    return { endpointArn };
  }

  async updateEndpoint(spec: UpdateEndpointSpec): Promise<{ endpointArn: string }> {
    await this.claim(spec.endpointName);
    await this.supervisor.reconcile(spec.endpointName);
    const endpointArn = await this.store.update((s) => {
      const e = s.endpoints[spec.endpointName];
      if (!e) throw new ValidationError(`Could not find endpoint "${arn('endpoint', spec.endpointName)}".`);
      assertOwner(e, this.owner, `local endpoint ${spec.endpointName}`);
      if (!s.endpointConfigs[spec.endpointConfigName])
        throw new ValidationError(`Could not find endpoint configuration "${arn('endpoint-config', spec.endpointConfigName)}".`);
      if (e.status === 'Failed') throw new ValidationError(`Cannot update failed endpoint "${e.endpointArn}"; delete it and create it again.`);
      // A hung instance reads OutOfService only in descriptions (unresponsive()); its record stays
      // InService, so an update replaces it.
      if (e.status !== 'InService') throw new ValidationError(`Cannot update in-progress endpoint "${e.endpointArn}" (status ${e.status}).`);
      e.status = 'Updating';
      e.failureReason = undefined;
      e.lastModifiedTime = now();
      return e.endpointArn;
    });
    await this.supervisor.launchPending(spec.endpointName, spec.endpointConfigName);
    return { endpointArn };
  }

  async describeEndpoint(endpointName: string): Promise<EndpointDescription> {
    const e = await this.supervisor.reconcile(endpointName);
    if (!e) throw new NotFoundError(`Could not find endpoint "${arn('endpoint', endpointName)}".`, { resourceKind: 'endpoint', resourceName: endpointName });
    const state = await this.store.read();
    return toDescription(e, state, this.launchLine());
  }

  async deleteEndpoint(endpointName: string): Promise<void> {
    const instances = await this.store.update((s) => {
      const e = s.endpoints[endpointName];
      if (!e) throw new ValidationError(`Could not find endpoint "${arn('endpoint', endpointName)}".`);
      assertOwner(e, this.owner, `local endpoint ${endpointName}`);
      e.status = 'Deleting';
      e.lastModifiedTime = now();
      return [e.current, e.pending, e.front].filter((i): i is LocalInstanceRecord | LocalFrontRecord => !!i);
    });
    // Stopping takes up to the drain window: outside the lock, so other commands are not blocked.
    await Promise.all(instances.map((i) => stopProcess(i.pid, i.id, this.supervisor.killAfterMs)));
    await this.store.update((s) => {
      delete s.endpoints[endpointName];
    });
    await rm(endpointDirOf(this.store.dir, endpointName), { recursive: true, force: true });
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

  /**
   * Pids and ports of every recorded server process (for tests and `status`); with `front`, the
   * endpoints' front proxies too (role 'front').
   */
  async processes(
    options: { front?: boolean } = {},
  ): Promise<Array<{ endpointName: string; pid: number; port: number; alive: boolean; role: 'instance' | 'front' }>> {
    const s = await this.store.read();
    const out: Array<{ endpointName: string; pid: number; port: number; alive: boolean; role: 'instance' | 'front' }> = [];
    for (const e of Object.values(s.endpoints)) {
      const all: Array<{ i: LocalInstanceRecord | LocalFrontRecord; role: 'instance' | 'front' } | undefined> = [e.current, e.pending].map(
        (i) => i && { i, role: 'instance' },
      );
      if (options.front) all.push(e.front && { i: e.front, role: 'front' });
      for (const x of all)
        if (x) out.push({ endpointName: e.endpointName, pid: x.i.pid, port: x.i.port, alive: await isOurProcess(x.i.pid, x.i.id), role: x.role });
    }
    return out;
  }

  /** Another workspace's endpoint is refused before its deploy lock is taken (nothing to release). */
  private async claim(endpointName: string): Promise<void> {
    assertOwner((await this.store.read()).endpoints[endpointName], this.owner, `local endpoint ${endpointName}`);
    await this.locks.acquire(endpointName);
  }

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

  private launchLine(): string | undefined {
    try {
      const l = this.supervisor.serverLaunch();
      return `${l.command} ${l.args.join(' ')}`;
    } catch {
      return undefined;
    }
  }
}
