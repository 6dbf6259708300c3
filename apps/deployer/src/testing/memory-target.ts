import {
  EndpointFailedError,
  NotFoundError,
  ResourceInUseError,
  SilentRollbackError,
  ValidationError,
  WaitTimeoutError,
  type EndpointConfigDescription,
  type EndpointConfigSpec,
  type EndpointDescription,
  type EndpointSpec,
  type EndpointStatus,
  type EndpointTarget,
  type InvokeResult,
  type ModelDescription,
  type ModelSpec,
  type ResourceKind,
  type TagFilter,
  type TaggedResource,
  type Tags,
  type UpdateEndpointSpec,
  type WaitOptions,
  withRetry,
} from '@vad/sagemaker-client';

/**
 * An in-memory SageMaker control plane behind the EndpointTarget interface, for orchestration
 * tests: records every call by its SageMaker operation name, follows SageMaker's rules (names
 * unique, a config in use cannot be deleted, a Failed endpoint can only be deleted, a failed update
 * rolls back to the old config and comes back InService), and lets a test inject failures.
 * Like AwsTarget, every control-plane call goes through sagemaker-client's retry layer (throttling
 * and 5xx retried with the lib's default attempts; no waits here), since the deployer itself
 * retries nothing.
 */
interface EndpointRecord {
  name: string;
  config: string;
  status: EndpointStatus;
  failureReason?: string;
  pending?: string;
  tags: Tags;
}

export type Outcome = 'ok' | 'fail' | 'rollback';

const RETRIED = [
  'createModel',
  'describeModel',
  'deleteModel',
  'createEndpointConfig',
  'describeEndpointConfig',
  'deleteEndpointConfig',
  'createEndpoint',
  'updateEndpoint',
  'describeEndpoint',
  'deleteEndpoint',
  'listTaggedResources',
] as const;

export class MemoryTarget implements EndpointTarget {
  readonly kind = 'aws' as const;
  readonly calls: string[] = [];
  readonly models = new Map<string, { spec: ModelSpec; tags: Tags }>();
  readonly configs = new Map<string, { spec: EndpointConfigSpec; tags: Tags }>();
  readonly endpoints = new Map<string, EndpointRecord>();
  /** What the next create/update turns into when waited on. */
  outcome: Outcome = 'ok';
  private readonly failures: Array<{ op: string; error: () => Error; times: number }> = [];

  constructor() {
    for (const m of RETRIED) {
      const op = (this[m] as (...a: unknown[]) => Promise<unknown>).bind(this);
      (this as unknown as Record<string, unknown>)[m] = (...a: unknown[]) =>
        withRetry(
          () => op(...a),
          (e) => e as Error,
          { sleep: async () => undefined },
        );
    }
  }

  /** The next `times` calls of `op` throw `error()`. */
  failNext(op: string, error: () => Error, times = 1): void {
    this.failures.push({ op, error, times });
  }

  /** Only the calls that change something (Create*, Update*, Delete*). */
  mutations(): string[] {
    return this.calls.filter((c) => /^(Create|Update|Delete)/.test(c));
  }

  private call(op: string): void {
    this.calls.push(op);
    const f = this.failures.find((x) => x.op === op && x.times > 0);
    if (f) {
      f.times--;
      throw f.error();
    }
  }

  async createModel(spec: ModelSpec) {
    this.call('CreateModel');
    if (this.models.has(spec.modelName)) throw new ValidationError(`Cannot create already existing model "${spec.modelName}".`);
    this.models.set(spec.modelName, { spec, tags: { ...spec.tags } });
    return { modelArn: `arn:aws:sagemaker:us-east-1:123456789012:model/${spec.modelName}` };
  }
  async describeModel(name: string): Promise<ModelDescription> {
    this.call('DescribeModel');
    const m = this.models.get(name);
    if (!m) throw new NotFoundError(`Could not find model "${name}".`);
    return { modelName: name, modelArn: `arn:aws:sagemaker:us-east-1:123456789012:model/${name}`, environment: m.spec.environment ?? {} };
  }
  async deleteModel(name: string) {
    this.call('DeleteModel');
    if (!this.models.delete(name)) throw new NotFoundError(`Could not find model "${name}".`);
  }
  async createEndpointConfig(spec: EndpointConfigSpec) {
    this.call('CreateEndpointConfig');
    if (this.configs.has(spec.endpointConfigName))
      throw new ValidationError(`Cannot create already existing endpoint configuration "${spec.endpointConfigName}".`);
    for (const v of spec.variants) if (!this.models.has(v.modelName)) throw new ValidationError(`Could not find model "${v.modelName}".`);
    this.configs.set(spec.endpointConfigName, { spec, tags: { ...spec.tags } });
    return { endpointConfigArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${spec.endpointConfigName}` };
  }
  async describeEndpointConfig(name: string): Promise<EndpointConfigDescription> {
    this.call('DescribeEndpointConfig');
    const c = this.configs.get(name);
    if (!c) throw new NotFoundError(`Could not find endpoint configuration "${name}".`);
    return {
      endpointConfigName: name,
      endpointConfigArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint-config/${name}`,
      variants: c.spec.variants.map((v) => ({ ...v, variantName: v.variantName ?? 'AllTraffic' })),
    };
  }
  async deleteEndpointConfig(name: string) {
    this.call('DeleteEndpointConfig');
    if (!this.configs.has(name)) throw new NotFoundError(`Could not find endpoint configuration "${name}".`);
    for (const e of this.endpoints.values()) if (e.config === name || e.pending === name) throw new ResourceInUseError(`${name} is in use by ${e.name}`);
    this.configs.delete(name);
  }
  async createEndpoint(spec: EndpointSpec) {
    this.call('CreateEndpoint');
    if (this.endpoints.has(spec.endpointName)) throw new ValidationError(`Cannot create already existing endpoint "${spec.endpointName}".`);
    if (!this.configs.has(spec.endpointConfigName)) throw new ValidationError(`Could not find endpoint configuration "${spec.endpointConfigName}".`);
    this.endpoints.set(spec.endpointName, { name: spec.endpointName, config: spec.endpointConfigName, status: 'Creating', tags: { ...spec.tags } });
    return { endpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${spec.endpointName}` };
  }
  async updateEndpoint(spec: UpdateEndpointSpec) {
    this.call('UpdateEndpoint');
    const e = this.endpoints.get(spec.endpointName);
    if (!e) throw new ValidationError(`Could not find endpoint "${spec.endpointName}".`);
    if (e.status !== 'InService') throw new ValidationError(`Cannot update in-progress endpoint "${spec.endpointName}".`);
    e.status = 'Updating';
    e.pending = spec.endpointConfigName;
    e.failureReason = undefined;
    return { endpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${spec.endpointName}` };
  }
  private settle(e: EndpointRecord): void {
    if (e.status === 'Creating') {
      if (this.outcome === 'ok') e.status = 'InService';
      else {
        e.status = 'Failed';
        e.failureReason = 'The primary container for production variant AllTraffic did not pass the ping health check.';
      }
    } else if (e.status === 'Updating') {
      if (this.outcome === 'ok') e.config = e.pending!;
      else e.failureReason = 'The primary container for production variant AllTraffic did not pass the ping health check.';
      e.status = 'InService';
      e.pending = undefined;
    }
  }
  async describeEndpoint(name: string): Promise<EndpointDescription> {
    this.call('DescribeEndpoint');
    const e = this.endpoints.get(name);
    if (!e) throw new NotFoundError(`Could not find endpoint "${name}".`);
    return {
      endpointName: name,
      endpointArn: `arn:aws:sagemaker:us-east-1:123456789012:endpoint/${name}`,
      endpointConfigName: e.config,
      status: e.status,
      ...(e.failureReason ? { failureReason: e.failureReason } : {}),
      ...(e.pending ? { pendingEndpointConfigName: e.pending } : {}),
      variants: [{ variantName: 'AllTraffic', deployedImages: [], variantStatus: [] }],
    };
  }
  async deleteEndpoint(name: string) {
    this.call('DeleteEndpoint');
    if (!this.endpoints.delete(name)) throw new ValidationError(`Could not find endpoint "${name}".`);
  }
  async waitForEndpoint(name: string, options: WaitOptions = {}): Promise<EndpointDescription> {
    const e = this.endpoints.get(name);
    if (!e) throw new NotFoundError(`Could not find endpoint "${name}".`);
    if (this.failures.some((f) => f.op === 'wait' && f.times > 0)) this.call('wait');
    this.settle(e);
    const d = await this.describeEndpoint(name);
    options.onProgress?.({ endpointName: name, status: d.status, elapsedSeconds: 1, attempt: 1, variants: d.variants });
    if (d.status === 'Failed') throw new EndpointFailedError(name, 'Failed', d.failureReason ?? '', ['server: model load failed']);
    if (options.expectedEndpointConfigName && d.endpointConfigName !== options.expectedEndpointConfigName) {
      throw new SilentRollbackError(name, options.expectedEndpointConfigName, d.endpointConfigName, d.failureReason);
    }
    if (d.status !== 'InService') throw new WaitTimeoutError(name, 1, d.status);
    return d;
  }
  async waitForEndpointDeleted(): Promise<void> {}
  async invoke(): Promise<InvokeResult> {
    this.call('InvokeEndpoint');
    return { body: new Uint8Array() };
  }
  async *invokeStream(): AsyncIterable<Uint8Array> {
    throw new ValidationError('not in the memory target');
  }
  async listTaggedResources(filter: TagFilter): Promise<TaggedResource[]> {
    this.call('ListTags');
    const match = (t: Tags) => filter.key in t && (filter.value === undefined || t[filter.key] === filter.value);
    const kinds = new Set<ResourceKind>(filter.kinds ?? ['model', 'endpoint-config', 'endpoint']);
    const out: TaggedResource[] = [];
    if (kinds.has('endpoint'))
      for (const e of this.endpoints.values()) if (match(e.tags)) out.push({ kind: 'endpoint', name: e.name, arn: e.name, tags: e.tags, status: e.status });
    if (kinds.has('endpoint-config'))
      for (const [n, c] of this.configs) if (match(c.tags)) out.push({ kind: 'endpoint-config', name: n, arn: n, tags: c.tags });
    if (kinds.has('model')) for (const [n, m] of this.models) if (match(m.tags)) out.push({ kind: 'model', name: n, arn: n, tags: m.tags });
    return out;
  }
  async addTags(kind: ResourceKind, name: string, tags: Tags) {
    this.call('AddTags');
    const rec = kind === 'model' ? this.models.get(name) : kind === 'endpoint-config' ? this.configs.get(name) : this.endpoints.get(name);
    if (!rec) throw new NotFoundError(name);
    Object.assign(rec.tags, tags);
  }
}
