import { stat } from 'node:fs/promises';
import { isAbsolute, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { NotFoundError, ResourceInUseError, ValidationError } from '../errors';
import { assertResourceName, DEFAULT_VARIANT_NAME } from '../rules';
import type { EndpointConfigDescription, EndpointConfigSpec, ModelDescription, ModelSpec, ResourceKind, TagFilter, TaggedResource, Tags } from '../target';
import { ENDPOINT_TAG, type EndpointLocks } from './endpoint-lock';
import { arn, now } from './names';
import { assertOwner } from './owner';
import type { LocalStateStore } from './state';

/**
 * The resource registry: models and endpoint configs (records only, no process), and tags on
 * every resource, with CreateModel's and CreateEndpointConfig's rules. A model or config created
 * for an endpoint (its `vad-serve:endpoint` tag) takes that endpoint's deploy lock first.
 */
export class LocalRegistry {
  constructor(
    private readonly store: LocalStateStore,
    private readonly locks: EndpointLocks,
    private readonly owner: string | undefined,
  ) {}

  /** A model or config for an endpoint another workspace owns is refused before anything is created. */
  private async claimEndpoint(tags: Tags | undefined): Promise<void> {
    const endpointName = tags?.[ENDPOINT_TAG];
    if (!endpointName) return;
    assertOwner((await this.store.read()).endpoints[endpointName], this.owner, `local endpoint ${endpointName}`);
    await this.locks.acquire(endpointName);
  }

  async createModel(spec: ModelSpec): Promise<{ modelArn: string }> {
    assertResourceName('model', spec.modelName);
    await this.claimEndpoint(spec.tags);
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
        owner: this.owner,
        creationTime: now(),
      };
    });
    return { modelArn };
  }

  async describeModel(modelName: string): Promise<ModelDescription> {
    const m = (await this.store.read()).models[modelName];
    if (!m) throw new NotFoundError(`Could not find model "${arn('model', modelName)}".`, { resourceKind: 'model', resourceName: modelName });
    return {
      modelName: m.modelName,
      modelArn: m.modelArn,
      image: m.image,
      modelDataUrl: m.modelDataUrl,
      environment: { ...m.environment },
      creationTime: new Date(m.creationTime),
    };
  }

  async deleteModel(modelName: string): Promise<void> {
    await this.store.update((s) => {
      if (!s.models[modelName])
        throw new NotFoundError(`Could not find model "${arn('model', modelName)}".`, { resourceKind: 'model', resourceName: modelName });
      assertOwner(s.models[modelName], this.owner, `local model ${modelName}`);
      // SageMaker lets a model be deleted while an endpoint runs it: instances hold their own copy.
      delete s.models[modelName];
    });
  }

  async createEndpointConfig(spec: EndpointConfigSpec): Promise<{ endpointConfigArn: string }> {
    assertResourceName('endpoint config', spec.endpointConfigName);
    if (spec.variants.length === 0) throw new ValidationError('an endpoint config needs at least one production variant');
    if (spec.variants.length > 1) throw new ValidationError('the local target serves one production variant per endpoint');
    await this.claimEndpoint(spec.tags);
    const endpointConfigArn = arn('endpoint-config', spec.endpointConfigName);
    await this.store.update((s) => {
      if (s.endpointConfigs[spec.endpointConfigName])
        throw new ValidationError(`Cannot create already existing endpoint configuration "${endpointConfigArn}".`);
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
        owner: this.owner,
        creationTime: now(),
      };
    });
    return { endpointConfigArn };
  }

  async describeEndpointConfig(endpointConfigName: string): Promise<EndpointConfigDescription> {
    const c = (await this.store.read()).endpointConfigs[endpointConfigName];
    if (!c)
      throw new NotFoundError(`Could not find endpoint configuration "${arn('endpoint-config', endpointConfigName)}".`, {
        resourceKind: 'endpoint-config',
        resourceName: endpointConfigName,
      });
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
        throw new NotFoundError(`Could not find endpoint configuration "${arn('endpoint-config', endpointConfigName)}".`, {
          resourceKind: 'endpoint-config',
          resourceName: endpointConfigName,
        });
      }
      assertOwner(s.endpointConfigs[endpointConfigName], this.owner, `local endpoint config ${endpointConfigName}`);
      const user = Object.values(s.endpoints).find((e) => e.endpointConfigName === endpointConfigName || e.pending?.endpointConfigName === endpointConfigName);
      if (user) throw new ResourceInUseError(`endpoint configuration ${endpointConfigName} is in use by endpoint ${user.endpointName}`);
      delete s.endpointConfigs[endpointConfigName];
    });
  }

  async listTaggedResources(filter: TagFilter): Promise<TaggedResource[]> {
    const s = await this.store.read();
    const kinds = new Set<ResourceKind>(filter.kinds ?? ['model', 'endpoint-config', 'endpoint']);
    const match = (tags: Tags): boolean => filter.key in tags && (filter.value === undefined || tags[filter.key] === filter.value);
    const out: TaggedResource[] = [];
    if (kinds.has('endpoint')) {
      for (const e of Object.values(s.endpoints))
        if (match(e.tags)) out.push({ kind: 'endpoint', name: e.endpointName, arn: e.endpointArn, tags: { ...e.tags }, status: e.status });
    }
    if (kinds.has('endpoint-config')) {
      for (const c of Object.values(s.endpointConfigs))
        if (match(c.tags)) out.push({ kind: 'endpoint-config', name: c.endpointConfigName, arn: c.endpointConfigArn, tags: { ...c.tags } });
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
      assertOwner(rec, this.owner, `local ${kind} ${name}`);
      Object.assign(rec.tags, tags);
    });
  }
}

/** `file://…`, an absolute or a relative path → an absolute path; s3:// is refused. */
function localPath(url: string): string {
  if (url.startsWith('file://')) return fileURLToPath(url);
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(url)) throw new ValidationError(`the local target reads model data from local paths or file:// URLs, not ${url}`);
  return isAbsolute(url) ? url : resolve(url);
}
