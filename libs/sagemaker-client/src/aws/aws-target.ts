import type { DeploymentConfig, DescribeEndpointCommandOutput, Tag } from '@aws-sdk/client-sagemaker';
import type { InvokeEndpointAsyncCommand } from '@aws-sdk/client-sagemaker-runtime';
import { InvocationTimeoutError, NotFoundError, PayloadTooLargeError, StreamError, ValidationError } from '../errors';
import {
  assertInvokeOptions,
  assertResourceName,
  DEFAULT_CLIENT_TIMEOUT_MS,
  DEFAULT_VARIANT_NAME,
  MAX_ASYNC_INLINE_BYTES,
  MAX_REALTIME_PAYLOAD_BYTES,
  toBytes,
} from '../rules';
import type {
  DeploymentSpec,
  EndpointConfigDescription,
  EndpointConfigSpec,
  EndpointDescription,
  EndpointSpec,
  EndpointStatus,
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
import { pollUntilDeleted, pollUntilInService, sleep } from '../waiters';
import { createAwsClients, type AwsClients, type AwsClientsConfig } from './clients';
import { CONNECTION_LOST, mapAwsError, type ErrorContext } from './map-error';
import { withRetry, type RetryOptions } from './retry';
import { logsSdk, runtimeSdk, sagemakerSdk } from './sdk';

export interface AwsTargetOptions extends AwsClientsConfig {
  retry?: RetryOptions;
  /** DescribeEndpoint poll interval for waits (default 20 s) and the longest wait (default 3600 s). */
  pollSeconds?: number;
  maxWaitSeconds?: number;
  /** How long CreateEndpoint waits for a just-created config to become readable (eventual consistency). */
  configVisibilityRetries?: number;
  configVisibilityDelayMs?: number;
}

export interface InvokeAsyncInput {
  /** `s3://…` of the request body (up to 1 GB). */
  inputLocation?: string;
  /** Inline body (≤ 128 000 bytes), instead of inputLocation. */
  body?: InvokeBody;
  contentType?: string;
  accept?: string;
  customAttributes?: string;
  inferenceId?: string;
  requestTtlSeconds?: number;
  invocationTimeoutSeconds?: number;
}

export interface InvokeAsyncResult {
  inferenceId?: string;
  outputLocation?: string;
  failureLocation?: string;
}

const toTags = (t?: Tags): Tag[] | undefined => (t && Object.keys(t).length > 0 ? Object.entries(t).map(([Key, Value]) => ({ Key, Value })) : undefined);

export function toDeploymentConfig(d?: DeploymentSpec): DeploymentConfig | undefined {
  if (!d) return undefined;
  const r = d.trafficRouting;
  return {
    BlueGreenUpdatePolicy: r
      ? {
          TrafficRoutingConfiguration: {
            Type: r.type,
            WaitIntervalInSeconds: r.waitIntervalInSeconds,
            CanarySize: r.canarySize ? { Type: r.canarySize.type, Value: r.canarySize.value } : undefined,
            LinearStepSize: r.linearStepSize ? { Type: r.linearStepSize.type, Value: r.linearStepSize.value } : undefined,
          },
          TerminationWaitInSeconds: d.terminationWaitInSeconds,
          MaximumExecutionTimeoutInSeconds: d.maximumExecutionTimeoutInSeconds,
        }
      : undefined,
    AutoRollbackConfiguration: d.autoRollbackAlarms?.length ? { Alarms: d.autoRollbackAlarms.map((AlarmName) => ({ AlarmName })) } : undefined,
  };
}

export function fromDescribeEndpoint(o: DescribeEndpointCommandOutput): EndpointDescription {
  return {
    endpointName: o.EndpointName ?? '',
    endpointArn: o.EndpointArn ?? '',
    endpointConfigName: o.EndpointConfigName ?? '',
    status: (o.EndpointStatus ?? 'Creating') as EndpointStatus,
    failureReason: o.FailureReason,
    creationTime: o.CreationTime,
    lastModifiedTime: o.LastModifiedTime,
    pendingEndpointConfigName: o.PendingDeploymentSummary?.EndpointConfigName,
    variants: (o.ProductionVariants ?? []).map((v) => ({
      variantName: v.VariantName ?? '',
      deployedImages: (v.DeployedImages ?? []).map((i) => ({
        specifiedImage: i.SpecifiedImage,
        resolvedImage: i.ResolvedImage,
        resolutionTime: i.ResolutionTime,
      })),
      currentInstanceCount: v.CurrentInstanceCount,
      desiredInstanceCount: v.DesiredInstanceCount,
      currentWeight: v.CurrentWeight,
      desiredWeight: v.DesiredWeight,
      variantStatus: (v.VariantStatus ?? []).map((s) => ({ status: s.Status ?? '', statusMessage: s.StatusMessage, startTime: s.StartTime })),
    })),
  };
}

/**
 * The digest an image URI pins (`repo@sha256:…`), and whether every variant resolved to it: after
 * an update, the image SageMaker actually runs must be the one we pinned (notes §4.2, §9 (6)).
 */
export function deployedImageMismatches(d: EndpointDescription, expectedImage: string): string[] {
  const digest = expectedImage.includes('@') ? expectedImage.slice(expectedImage.indexOf('@') + 1) : undefined;
  const out: string[] = [];
  for (const v of d.variants) {
    for (const i of v.deployedImages) {
      const resolved = i.resolvedImage ?? '';
      if (digest ? !resolved.endsWith(`@${digest}`) : i.specifiedImage !== expectedImage)
        out.push(`${v.variantName}: ${resolved || i.specifiedImage || '(none)'}`);
    }
  }
  return out;
}

/**
 * SageMaker hosting through AWS SDK v3, behind the EndpointTarget interface: typed inputs and
 * outputs, typed errors, throttling retried with backoff, steady polling with the Failed fast path
 * (FailureReason + CloudWatch excerpt) and silent-rollback detection, a 70 s invoke deadline that
 * throws.
 */
export class AwsTarget implements EndpointTarget {
  readonly kind = 'aws' as const;
  readonly clients: AwsClients;
  private readonly options: AwsTargetOptions;

  constructor(options: AwsTargetOptions = {}) {
    this.options = options;
    this.clients = createAwsClients(options);
  }

  /** Sends a command with our retry and error mapping. */
  async call<T>(send: () => Promise<T>, ctx: ErrorContext = {}): Promise<T> {
    return withRetry(send, (e) => mapAwsError(e, ctx), this.options.retry);
  }

  // -- models ---------------------------------------------------------------------------------

  async createModel(spec: ModelSpec): Promise<{ modelArn: string }> {
    assertResourceName('model', spec.modelName);
    if (!spec.image) throw new ValidationError('createModel on AWS needs an ECR image URI (digest-pinned: repo@sha256:…)');
    if (!spec.executionRoleArn) throw new ValidationError('createModel on AWS needs executionRoleArn');
    assertEnvironment(spec.environment);
    const out = await this.call(
      () =>
        this.clients.sagemaker.send(
          new (sagemakerSdk().CreateModelCommand)({
            ModelName: spec.modelName,
            PrimaryContainer: { Image: spec.image, ModelDataUrl: spec.modelDataUrl, Environment: spec.environment },
            ExecutionRoleArn: spec.executionRoleArn,
            Tags: toTags(spec.tags),
          }),
        ),
      { resourceKind: 'model', resourceName: spec.modelName },
    );
    return { modelArn: out.ModelArn ?? '' };
  }

  async describeModel(modelName: string): Promise<ModelDescription> {
    const o = await this.call(() => this.clients.sagemaker.send(new (sagemakerSdk().DescribeModelCommand)({ ModelName: modelName })), {
      resourceKind: 'model',
      resourceName: modelName,
    });
    return {
      modelName: o.ModelName ?? modelName,
      modelArn: o.ModelArn ?? '',
      image: o.PrimaryContainer?.Image,
      modelDataUrl: o.PrimaryContainer?.ModelDataUrl,
      environment: { ...o.PrimaryContainer?.Environment },
      executionRoleArn: o.ExecutionRoleArn,
      creationTime: o.CreationTime,
    };
  }

  async deleteModel(modelName: string): Promise<void> {
    await this.call(() => this.clients.sagemaker.send(new (sagemakerSdk().DeleteModelCommand)({ ModelName: modelName })), {
      resourceKind: 'model',
      resourceName: modelName,
    });
  }

  // -- endpoint configs -----------------------------------------------------------------------

  async createEndpointConfig(spec: EndpointConfigSpec): Promise<{ endpointConfigArn: string }> {
    assertResourceName('endpoint config', spec.endpointConfigName);
    if (spec.variants.length === 0) throw new ValidationError('an endpoint config needs at least one production variant');
    const a = spec.asyncInference;
    const dc = spec.dataCapture;
    const out = await this.call(
      () =>
        this.clients.sagemaker.send(
          new (sagemakerSdk().CreateEndpointConfigCommand)({
            EndpointConfigName: spec.endpointConfigName,
            ProductionVariants: spec.variants.map((v) => ({
              VariantName: v.variantName ?? DEFAULT_VARIANT_NAME,
              ModelName: v.modelName,
              InstanceType: v.instanceType as never,
              InitialInstanceCount: v.initialInstanceCount ?? 1,
              InitialVariantWeight: v.initialVariantWeight ?? 1,
              VolumeSizeInGB: v.volumeSizeInGB,
              ModelDataDownloadTimeoutInSeconds: v.modelDataDownloadTimeoutInSeconds,
              ContainerStartupHealthCheckTimeoutInSeconds: v.containerStartupHealthCheckTimeoutInSeconds,
              InferenceAmiVersion: v.inferenceAmiVersion as never,
            })),
            AsyncInferenceConfig: a
              ? {
                  ClientConfig: a.maxConcurrentInvocationsPerInstance
                    ? { MaxConcurrentInvocationsPerInstance: a.maxConcurrentInvocationsPerInstance }
                    : undefined,
                  OutputConfig: {
                    S3OutputPath: a.s3OutputPath,
                    S3FailurePath: a.s3FailurePath,
                    NotificationConfig: a.successTopic || a.errorTopic ? { SuccessTopic: a.successTopic, ErrorTopic: a.errorTopic } : undefined,
                  },
                }
              : undefined,
            DataCaptureConfig: dc
              ? {
                  EnableCapture: true,
                  InitialSamplingPercentage: dc.initialSamplingPercentage ?? 100,
                  DestinationS3Uri: dc.destinationS3Uri,
                  CaptureOptions: (dc.captureModes ?? ['Input', 'Output']).map((CaptureMode) => ({ CaptureMode })),
                }
              : undefined,
            Tags: toTags(spec.tags),
          }),
        ),
      { resourceKind: 'endpoint-config', resourceName: spec.endpointConfigName },
    );
    return { endpointConfigArn: out.EndpointConfigArn ?? '' };
  }

  async describeEndpointConfig(endpointConfigName: string): Promise<EndpointConfigDescription> {
    const o = await this.call(
      () => this.clients.sagemaker.send(new (sagemakerSdk().DescribeEndpointConfigCommand)({ EndpointConfigName: endpointConfigName })),
      {
        resourceKind: 'endpoint-config',
        resourceName: endpointConfigName,
      },
    );
    return {
      endpointConfigName: o.EndpointConfigName ?? endpointConfigName,
      endpointConfigArn: o.EndpointConfigArn ?? '',
      creationTime: o.CreationTime,
      variants: (o.ProductionVariants ?? []).map((v) => ({
        variantName: v.VariantName ?? DEFAULT_VARIANT_NAME,
        modelName: v.ModelName ?? '',
        instanceType: v.InstanceType ?? '',
        initialInstanceCount: v.InitialInstanceCount,
        initialVariantWeight: v.InitialVariantWeight,
        volumeSizeInGB: v.VolumeSizeInGB,
        modelDataDownloadTimeoutInSeconds: v.ModelDataDownloadTimeoutInSeconds,
        containerStartupHealthCheckTimeoutInSeconds: v.ContainerStartupHealthCheckTimeoutInSeconds,
        inferenceAmiVersion: v.InferenceAmiVersion,
      })),
      asyncInference: o.AsyncInferenceConfig?.OutputConfig
        ? {
            s3OutputPath: o.AsyncInferenceConfig.OutputConfig.S3OutputPath ?? '',
            s3FailurePath: o.AsyncInferenceConfig.OutputConfig.S3FailurePath,
            maxConcurrentInvocationsPerInstance: o.AsyncInferenceConfig.ClientConfig?.MaxConcurrentInvocationsPerInstance,
          }
        : undefined,
      dataCapture: o.DataCaptureConfig?.DestinationS3Uri
        ? {
            destinationS3Uri: o.DataCaptureConfig.DestinationS3Uri,
            initialSamplingPercentage: o.DataCaptureConfig.InitialSamplingPercentage,
            captureModes: o.DataCaptureConfig.CaptureOptions?.map((c) => c.CaptureMode as 'Input' | 'Output'),
          }
        : undefined,
    };
  }

  async deleteEndpointConfig(endpointConfigName: string): Promise<void> {
    await this.call(() => this.clients.sagemaker.send(new (sagemakerSdk().DeleteEndpointConfigCommand)({ EndpointConfigName: endpointConfigName })), {
      resourceKind: 'endpoint-config',
      resourceName: endpointConfigName,
    });
  }

  // -- endpoints ------------------------------------------------------------------------------

  async createEndpoint(spec: EndpointSpec): Promise<{ endpointArn: string }> {
    assertResourceName('endpoint', spec.endpointName);
    // CreateEndpoint reads the config eventually consistently: "retry logic is recommended"
    // (client-sagemaker doc). Make sure the config is readable first.
    await this.awaitConfigVisible(spec.endpointConfigName);
    const out = await this.call(
      () =>
        this.clients.sagemaker.send(
          new (sagemakerSdk().CreateEndpointCommand)({
            EndpointName: spec.endpointName,
            EndpointConfigName: spec.endpointConfigName,
            DeploymentConfig: toDeploymentConfig(spec.deployment),
            Tags: toTags(spec.tags),
          }),
        ),
      { resourceKind: 'endpoint', resourceName: spec.endpointName },
    );
    return { endpointArn: out.EndpointArn ?? '' };
  }

  async describeEndpoint(endpointName: string): Promise<EndpointDescription> {
    const o = await this.call(() => this.clients.sagemaker.send(new (sagemakerSdk().DescribeEndpointCommand)({ EndpointName: endpointName })), {
      resourceKind: 'endpoint',
      resourceName: endpointName,
    });
    return fromDescribeEndpoint(o);
  }

  async updateEndpoint(spec: UpdateEndpointSpec): Promise<{ endpointArn: string }> {
    await this.awaitConfigVisible(spec.endpointConfigName);
    const out = await this.call(
      () =>
        this.clients.sagemaker.send(
          new (sagemakerSdk().UpdateEndpointCommand)({
            EndpointName: spec.endpointName,
            EndpointConfigName: spec.endpointConfigName,
            RetainAllVariantProperties: spec.retainAllVariantProperties,
            DeploymentConfig: toDeploymentConfig(spec.deployment),
            RetainDeploymentConfig: spec.retainDeploymentConfig,
          }),
        ),
      { resourceKind: 'endpoint', resourceName: spec.endpointName },
    );
    return { endpointArn: out.EndpointArn ?? '' };
  }

  async deleteEndpoint(endpointName: string): Promise<void> {
    await this.call(() => this.clients.sagemaker.send(new (sagemakerSdk().DeleteEndpointCommand)({ EndpointName: endpointName })), {
      resourceKind: 'endpoint',
      resourceName: endpointName,
    });
  }

  waitForEndpoint(endpointName: string, options: WaitOptions = {}): Promise<EndpointDescription> {
    return pollUntilInService(this.poller(), endpointName, options, this.pollDefaults());
  }

  waitForEndpointDeleted(endpointName: string, options: WaitOptions = {}): Promise<void> {
    return pollUntilDeleted(this.poller(), endpointName, options, this.pollDefaults());
  }

  /** The last lines of the endpoint's container logs (`/aws/sagemaker/Endpoints/<name>`), newest streams first. */
  async endpointLogExcerpt(endpointName: string, lines = 30): Promise<string[]> {
    const logGroupName = `/aws/sagemaker/Endpoints/${endpointName}`;
    const streams = await this.call(
      () => this.clients.logs.send(new (logsSdk().DescribeLogStreamsCommand)({ logGroupName, orderBy: 'LastEventTime', descending: true, limit: 2 })),
      { resourceKind: 'log-group', resourceName: logGroupName },
    ).catch((e: unknown) => {
      if (e instanceof NotFoundError) return { logStreams: [] };
      throw e;
    });
    const out: string[] = [];
    for (const s of streams.logStreams ?? []) {
      if (!s.logStreamName) continue;
      const ev = await this.call(() =>
        this.clients.logs.send(new (logsSdk().GetLogEventsCommand)({ logGroupName, logStreamName: s.logStreamName, limit: lines, startFromHead: false })),
      );
      for (const e of ev.events ?? []) out.push(`[${s.logStreamName}] ${(e.message ?? '').trimEnd()}`);
    }
    return out.slice(-lines);
  }

  // -- invocation -----------------------------------------------------------------------------

  async invoke(endpointName: string, body: InvokeBody, options: InvokeOptions = {}): Promise<InvokeResult> {
    assertInvokeOptions(options);
    const bytes = toBytes(body);
    // Refused before sending: SageMaker answers a ValidationError after the upload otherwise.
    if (bytes.byteLength > MAX_REALTIME_PAYLOAD_BYTES) throw new PayloadTooLargeError(bytes.byteLength, MAX_REALTIME_PAYLOAD_BYTES);
    const timeoutMs = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
    const o = await this.withDeadline(timeoutMs, options.signal, endpointName, (abortSignal) =>
      // Not retried by us: an inference may have side effects (sessions); the SDK retries 5xx/429.
      this.clients.runtime.send(new (runtimeSdk().InvokeEndpointCommand)(invokeInput(endpointName, bytes, options)), { abortSignal }),
    );
    return {
      body: o.Body ?? new Uint8Array(),
      contentType: o.ContentType,
      customAttributes: o.CustomAttributes,
      newSessionId: o.NewSessionId,
      closedSessionId: o.ClosedSessionId,
      invokedProductionVariant: o.InvokedProductionVariant,
    };
  }

  async *invokeStream(endpointName: string, body: InvokeBody, options: InvokeOptions = {}): AsyncIterable<Uint8Array> {
    assertInvokeOptions(options);
    if (options.sessionId === 'NEW_SESSION') throw new ValidationError('a stateful session cannot be started with the streaming API; start it with invoke()');
    const bytes = toBytes(body);
    if (bytes.byteLength > MAX_REALTIME_PAYLOAD_BYTES) throw new PayloadTooLargeError(bytes.byteLength, MAX_REALTIME_PAYLOAD_BYTES);
    const o = await this.withDeadline(options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS, options.signal, endpointName, (abortSignal) =>
      this.clients.runtime.send(new (runtimeSdk().InvokeEndpointWithResponseStreamCommand)(invokeInput(endpointName, bytes, options)), { abortSignal }),
    );
    try {
      for await (const event of o.Body ?? []) {
        if (event.PayloadPart?.Bytes) yield event.PayloadPart.Bytes;
        else if (event.ModelStreamError) throw new StreamError(event.ModelStreamError.Message ?? 'model stream error', event.ModelStreamError.ErrorCode);
        else if (event.InternalStreamFailure) throw new StreamError(event.InternalStreamFailure.Message ?? 'internal stream failure', 'InternalStreamFailure');
      }
    } catch (e) {
      throw mapAwsError(e, { endpointName });
    }
  }

  /** InvokeEndpointAsync: input in S3 (≤ 1 GB) or inline (≤ 128 000 bytes); the result lands in S3. */
  async invokeAsync(endpointName: string, input: InvokeAsyncInput): Promise<InvokeAsyncResult> {
    assertInvokeOptions(input);
    if (!input.inputLocation === !input.body) throw new ValidationError('invokeAsync needs exactly one of inputLocation and body');
    const bytes = input.body === undefined ? undefined : toBytes(input.body);
    if (bytes && bytes.byteLength > MAX_ASYNC_INLINE_BYTES) throw new PayloadTooLargeError(bytes.byteLength, MAX_ASYNC_INLINE_BYTES);
    const o = await this.call(
      () =>
        this.clients.runtime.send(
          new (runtimeSdk().InvokeEndpointAsyncCommand)({
            EndpointName: endpointName,
            InputLocation: input.inputLocation,
            ...(bytes ? { Body: bytes } : {}),
            ContentType: input.contentType ?? 'application/json',
            Accept: input.accept ?? 'application/json',
            CustomAttributes: input.customAttributes,
            InferenceId: input.inferenceId,
            RequestTTLSeconds: input.requestTtlSeconds,
            InvocationTimeoutSeconds: input.invocationTimeoutSeconds,
          } as ConstructorParameters<typeof InvokeEndpointAsyncCommand>[0]),
        ),
      { endpointName, resourceKind: 'endpoint', resourceName: endpointName },
    );
    return { inferenceId: o.InferenceId, outputLocation: o.OutputLocation, failureLocation: o.FailureLocation };
  }

  // -- tags -----------------------------------------------------------------------------------

  async addTags(kind: ResourceKind, name: string, tags: Tags): Promise<void> {
    const arn = await this.arnOf(kind, name);
    await this.call(() => this.clients.sagemaker.send(new (sagemakerSdk().AddTagsCommand)({ ResourceArn: arn, Tags: toTags(tags) ?? [] })));
  }

  async listTags(arn: string): Promise<Tags> {
    const tags: Tags = {};
    let NextToken: string | undefined;
    do {
      const o = await this.call(() => this.clients.sagemaker.send(new (sagemakerSdk().ListTagsCommand)({ ResourceArn: arn, NextToken })));
      for (const t of o.Tags ?? []) if (t.Key) tags[t.Key] = t.Value ?? '';
      NextToken = o.NextToken;
    } while (NextToken);
    return tags;
  }

  /**
   * SageMaker has no tag filter on its List calls: list each kind (narrowed by `nameContains`
   * where given) and read each resource's tags. Destroy relies on this to touch only our resources.
   */
  async listTaggedResources(filter: TagFilter & { nameContains?: string }): Promise<TaggedResource[]> {
    const kinds = filter.kinds ?? ['endpoint', 'endpoint-config', 'model'];
    const candidates: Array<{ kind: ResourceKind; name: string; arn: string; status?: EndpointStatus }> = [];
    const NameContains = filter.nameContains;
    for (const kind of kinds) {
      let NextToken: string | undefined;
      do {
        if (kind === 'endpoint') {
          const o = await this.call(() => this.clients.sagemaker.send(new (sagemakerSdk().ListEndpointsCommand)({ NameContains, NextToken, MaxResults: 100 })));
          for (const e of o.Endpoints ?? [])
            candidates.push({ kind, name: e.EndpointName ?? '', arn: e.EndpointArn ?? '', status: e.EndpointStatus as EndpointStatus });
          NextToken = o.NextToken;
        } else if (kind === 'endpoint-config') {
          const o = await this.call(() =>
            this.clients.sagemaker.send(new (sagemakerSdk().ListEndpointConfigsCommand)({ NameContains, NextToken, MaxResults: 100 })),
          );
          for (const c of o.EndpointConfigs ?? []) candidates.push({ kind, name: c.EndpointConfigName ?? '', arn: c.EndpointConfigArn ?? '' });
          NextToken = o.NextToken;
        } else {
          const o = await this.call(() => this.clients.sagemaker.send(new (sagemakerSdk().ListModelsCommand)({ NameContains, NextToken, MaxResults: 100 })));
          for (const m of o.Models ?? []) candidates.push({ kind, name: m.ModelName ?? '', arn: m.ModelArn ?? '' });
          NextToken = o.NextToken;
        }
      } while (NextToken);
    }
    const out: TaggedResource[] = [];
    for (const c of candidates) {
      const tags = await this.listTags(c.arn);
      if (filter.key in tags && (filter.value === undefined || tags[filter.key] === filter.value)) out.push({ ...c, tags });
    }
    return out;
  }

  // -- internals ------------------------------------------------------------------------------

  private pollDefaults() {
    return { pollSeconds: this.options.pollSeconds ?? 20, maxWaitSeconds: this.options.maxWaitSeconds ?? 3600 };
  }

  private poller() {
    return {
      describeEndpoint: (n: string) => this.describeEndpoint(n),
      logExcerpt: (d: EndpointDescription) => this.endpointLogExcerpt(d.endpointName),
    };
  }

  private async arnOf(kind: ResourceKind, name: string): Promise<string> {
    if (kind === 'endpoint') return (await this.describeEndpoint(name)).endpointArn;
    if (kind === 'endpoint-config') return (await this.describeEndpointConfig(name)).endpointConfigArn;
    return (await this.describeModel(name)).modelArn;
  }

  private async awaitConfigVisible(endpointConfigName: string): Promise<void> {
    const retries = this.options.configVisibilityRetries ?? 5;
    for (let i = 0; ; i++) {
      try {
        await this.describeEndpointConfig(endpointConfigName);
        return;
      } catch (e) {
        if (!(e instanceof NotFoundError) || i >= retries) throw e;
        await sleep(this.options.configVisibilityDelayMs ?? 1000);
      }
    }
  }

  /** A deadline that throws (AbortController), besides the handler's throwOnRequestTimeout. */
  private async withDeadline<T>(timeoutMs: number, outer: AbortSignal | undefined, endpointName: string, run: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const ctrl = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      ctrl.abort(new Error(`client timeout ${timeoutMs} ms`));
    }, timeoutMs);
    const onOuter = (): void => ctrl.abort(outer?.reason);
    outer?.addEventListener('abort', onOuter, { once: true });
    // Raced against the abort too: the deadline holds even if a handler ignores the signal.
    const aborted = new Promise<never>((_, reject) => ctrl.signal.addEventListener('abort', () => reject(ctrl.signal.reason), { once: true }));
    aborted.catch(() => undefined);
    try {
      return await Promise.race([run(ctrl.signal), aborted]);
    } catch (e) {
      // The SDK names a dropped connection (ECONNRESET/EPIPE) "TimeoutError" too: that is no deadline.
      if (timedOut || ((e as Error)?.name === 'TimeoutError' && !CONNECTION_LOST.has((e as { code?: string }).code ?? ''))) {
        throw new InvocationTimeoutError(`invocation of ${endpointName} did not complete within the client timeout of ${timeoutMs} ms`, timeoutMs, {
          cause: e,
        });
      }
      throw mapAwsError(e, { endpointName, resourceKind: 'endpoint', resourceName: endpointName });
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onOuter);
    }
  }
}

/** ContainerDefinition.Environment: keys and values ≤ 1024 bytes, ≤ 32 KB in all. */
function assertEnvironment(env: Record<string, string> | undefined): void {
  if (!env) return;
  let total = 0;
  for (const [k, v] of Object.entries(env)) {
    const kb = Buffer.byteLength(k);
    const vb = Buffer.byteLength(v);
    if (kb > 1024 || vb > 1024) throw new ValidationError(`environment variable ${k}: keys and values must be at most 1024 bytes`);
    total += kb + vb;
  }
  if (total > 32 * 1024) throw new ValidationError(`the container environment is ${total} bytes; SageMaker allows at most 32 KB`);
}

/** The request fields both invocation APIs share (the streaming one takes the same, bar sessions). */
function invokeInput(endpointName: string, bytes: Uint8Array, options: InvokeOptions) {
  return {
    EndpointName: endpointName,
    Body: bytes,
    ContentType: options.contentType ?? 'application/json',
    Accept: options.accept ?? 'application/json',
    CustomAttributes: options.customAttributes,
    SessionId: options.sessionId,
    InferenceId: options.inferenceId,
    TargetVariant: options.targetVariant,
  };
}
