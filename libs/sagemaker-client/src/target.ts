/**
 * The one interface both deployment targets implement: AWS SageMaker (`AwsTarget`) and the local
 * emulator (`LocalTarget`, server processes on loopback, no Docker, no AWS). Shapes follow the
 * SageMaker API (names, statuses, FailureReason) in camelCase, so what works locally works on AWS.
 *
 * Errors: every method throws the typed classes of ./errors (ValidationError, ResourceLimitError,
 * ThrottlingError, NotFoundError, ModelError, EndpointFailedError, SilentRollbackError, …).
 */

/** SageMaker's EndpointStatus values (client-sagemaker enum). */
export type EndpointStatus =
  'Creating' | 'Updating' | 'SystemUpdating' | 'RollingBack' | 'InService' | 'Deleting' | 'Failed' | 'OutOfService' | 'UpdateRollbackFailed';

export type Tags = Record<string, string>;

export type ResourceKind = 'model' | 'endpoint-config' | 'endpoint';

export type TargetKind = 'aws' | 'local';

// ----------------------------------------------------------------------------------------------
// Models
// ----------------------------------------------------------------------------------------------

export interface ModelSpec {
  modelName: string;
  /**
   * AWS: ECR image URI, digest-pinned (`repo@sha256:…`) so a re-pushed tag can't change what
   * runs. Local: ignored (the server runs from sources or dist/apps/server).
   */
  image?: string;
  /**
   * AWS: `s3://bucket/key/model.tar.gz`. Local: a path (or file:// URL) to a model.tar.gz, which
   * is verified and unpacked, or to an already unpacked model directory.
   */
  modelDataUrl: string;
  /** Container environment (each key/value ≤ 1024 bytes, ≤ 32 KB in all). */
  environment?: Record<string, string>;
  /** AWS only: the role SageMaker assumes to pull the image and the artifact. */
  executionRoleArn?: string;
  tags?: Tags;
}

export interface ModelDescription {
  modelName: string;
  modelArn: string;
  image?: string;
  modelDataUrl?: string;
  environment: Record<string, string>;
  executionRoleArn?: string;
  creationTime?: Date;
}

// ----------------------------------------------------------------------------------------------
// Endpoint configs
// ----------------------------------------------------------------------------------------------

export interface ProductionVariantSpec {
  /** Default `AllTraffic`. */
  variantName?: string;
  modelName: string;
  /** e.g. `ml.g5.xlarge`; the local target records it and ignores it. */
  instanceType: string;
  /** Default 1. Local: ignored (one server process per endpoint). */
  initialInstanceCount?: number;
  initialVariantWeight?: number;
  volumeSizeInGB?: number;
  modelDataDownloadTimeoutInSeconds?: number;
  /** 60–3600; the startup window for /ping (8 min by default on AWS). Local: the start deadline. */
  containerStartupHealthCheckTimeoutInSeconds?: number;
  inferenceAmiVersion?: string;
}

export interface AsyncInferenceSpec {
  s3OutputPath: string;
  s3FailurePath?: string;
  maxConcurrentInvocationsPerInstance?: number;
  successTopic?: string;
  errorTopic?: string;
}

export interface DataCaptureSpec {
  destinationS3Uri: string;
  /** 0–100, default 100. */
  initialSamplingPercentage?: number;
  captureModes?: Array<'Input' | 'Output'>;
}

export interface EndpointConfigSpec {
  endpointConfigName: string;
  variants: ProductionVariantSpec[];
  asyncInference?: AsyncInferenceSpec;
  dataCapture?: DataCaptureSpec;
  tags?: Tags;
}

export interface EndpointConfigDescription {
  endpointConfigName: string;
  endpointConfigArn: string;
  variants: Array<Required<Pick<ProductionVariantSpec, 'variantName' | 'modelName' | 'instanceType'>> & ProductionVariantSpec>;
  asyncInference?: AsyncInferenceSpec;
  dataCapture?: DataCaptureSpec;
  creationTime?: Date;
}

// ----------------------------------------------------------------------------------------------
// Endpoints
// ----------------------------------------------------------------------------------------------

/** Blue/green traffic shifting with auto-rollback alarms (DeploymentConfig). */
export interface DeploymentSpec {
  trafficRouting?: {
    type: 'ALL_AT_ONCE' | 'CANARY' | 'LINEAR';
    /** Baking time per step. */
    waitIntervalInSeconds: number;
    /** CANARY: the canary's size. */
    canarySize?: { type: 'INSTANCE_COUNT' | 'CAPACITY_PERCENT'; value: number };
    /** LINEAR: the step size. */
    linearStepSize?: { type: 'INSTANCE_COUNT' | 'CAPACITY_PERCENT'; value: number };
  };
  terminationWaitInSeconds?: number;
  maximumExecutionTimeoutInSeconds?: number;
  /** CloudWatch alarm names watched while baking; any alarm rolls traffic back. */
  autoRollbackAlarms?: string[];
}

export interface EndpointSpec {
  endpointName: string;
  endpointConfigName: string;
  deployment?: DeploymentSpec;
  tags?: Tags;
}

export interface UpdateEndpointSpec {
  endpointName: string;
  endpointConfigName: string;
  /** Keep the current (autoscaled) instance counts and weights. */
  retainAllVariantProperties?: boolean;
  deployment?: DeploymentSpec;
  retainDeploymentConfig?: boolean;
}

export interface VariantStatusEntry {
  status: 'Creating' | 'Updating' | 'Deleting' | 'ActivatingTraffic' | 'Baking' | string;
  statusMessage?: string;
  startTime?: Date;
}

export interface VariantSummary {
  variantName: string;
  /** SpecifiedImage as given to CreateModel, ResolvedImage the digest SageMaker actually runs. */
  deployedImages: Array<{ specifiedImage?: string; resolvedImage?: string; resolutionTime?: Date }>;
  currentInstanceCount?: number;
  desiredInstanceCount?: number;
  currentWeight?: number;
  desiredWeight?: number;
  variantStatus: VariantStatusEntry[];
}

export interface EndpointDescription {
  endpointName: string;
  endpointArn: string;
  /** The config the endpoint serves now (after a silent rollback: the OLD one). */
  endpointConfigName: string;
  status: EndpointStatus;
  failureReason?: string;
  creationTime?: Date;
  lastModifiedTime?: Date;
  variants: VariantSummary[];
  /** The config an in-progress update is moving to. */
  pendingEndpointConfigName?: string;
  /** Local target only: where the server listens (`http://127.0.0.1:<port>`). */
  url?: string;
  /** Local target only: the deploy state file (workspace) that created the endpoint, when recorded. */
  owner?: string;
}

// ----------------------------------------------------------------------------------------------
// Waiting
// ----------------------------------------------------------------------------------------------

export interface WaitProgress {
  endpointName: string;
  status: EndpointStatus | 'NotFound';
  elapsedSeconds: number;
  /** Poll number, starting at 1. */
  attempt: number;
  variants: VariantSummary[];
  failureReason?: string;
}

export interface WaitOptions {
  /**
   * Seconds between DescribeEndpoint polls: steady, no exponential backoff (the JS SDK waiter
   * backs off to an hour between polls by default). AWS default 20, local default 0.25.
   */
  pollSeconds?: number;
  /** Give up (WaitTimeoutError) after this long. AWS default 3600, local default 300. */
  maxWaitSeconds?: number;
  onProgress?: (progress: WaitProgress) => void;
  signal?: AbortSignal;
  /**
   * After an update: the config the endpoint must end up on. InService on any other config means
   * SageMaker rolled back → SilentRollbackError.
   */
  expectedEndpointConfigName?: string;
}

// ----------------------------------------------------------------------------------------------
// Invocation
// ----------------------------------------------------------------------------------------------

export interface InvokeOptions {
  /** Default `application/json`. */
  contentType?: string;
  /** Default `application/json`. */
  accept?: string;
  /** ≤ 1024 visible US-ASCII chars, forwarded verbatim (`X-Amzn-SageMaker-Custom-Attributes`). */
  customAttributes?: string;
  /** `NEW_SESSION` or an id returned as newSessionId. */
  sessionId?: string;
  inferenceId?: string;
  targetVariant?: string;
  /** Client deadline; default 70 000 ms (above SageMaker's 60 s). Throws InvocationTimeoutError. */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export interface InvokeResult {
  body: Uint8Array;
  contentType?: string;
  customAttributes?: string;
  /** `<id>; Expires=…Z` as the container answered it; see parseSessionHeader. */
  newSessionId?: string;
  closedSessionId?: string;
  invokedProductionVariant?: string;
}

export type InvokeBody = Uint8Array | string;

// ----------------------------------------------------------------------------------------------
// Tags
// ----------------------------------------------------------------------------------------------

export interface TagFilter {
  key: string;
  /** Any value when omitted. */
  value?: string;
  /** All kinds when omitted. */
  kinds?: ResourceKind[];
}

export interface TaggedResource {
  kind: ResourceKind;
  name: string;
  arn: string;
  tags: Tags;
  /** Endpoints only. */
  status?: EndpointStatus;
}

// ----------------------------------------------------------------------------------------------
// The interface
// ----------------------------------------------------------------------------------------------

export interface EndpointTarget {
  readonly kind: TargetKind;

  createModel(spec: ModelSpec): Promise<{ modelArn: string }>;
  /** NotFoundError when missing. */
  describeModel(modelName: string): Promise<ModelDescription>;
  /** NotFoundError when missing. */
  deleteModel(modelName: string): Promise<void>;

  createEndpointConfig(spec: EndpointConfigSpec): Promise<{ endpointConfigArn: string }>;
  describeEndpointConfig(endpointConfigName: string): Promise<EndpointConfigDescription>;
  /** ResourceInUseError/ValidationError while an endpoint uses it; NotFoundError when missing. */
  deleteEndpointConfig(endpointConfigName: string): Promise<void>;

  /** Returns at once with status Creating; use waitForEndpoint. */
  createEndpoint(spec: EndpointSpec): Promise<{ endpointArn: string }>;
  describeEndpoint(endpointName: string): Promise<EndpointDescription>;
  /** Returns at once with status Updating; wait with `expectedEndpointConfigName` set. */
  updateEndpoint(spec: UpdateEndpointSpec): Promise<{ endpointArn: string }>;
  deleteEndpoint(endpointName: string): Promise<void>;

  /**
   * Polls until InService. Throws EndpointFailedError at once when the endpoint goes Failed
   * (with FailureReason and the container's log excerpt), SilentRollbackError when InService on
   * another config than `expectedEndpointConfigName`, WaitTimeoutError past maxWaitSeconds,
   * NotFoundError if the endpoint disappears.
   */
  waitForEndpoint(endpointName: string, options?: WaitOptions): Promise<EndpointDescription>;
  /** Polls until the endpoint no longer exists. */
  waitForEndpointDeleted(endpointName: string, options?: WaitOptions): Promise<void>;

  /**
   * Real-time invocation with SageMaker's rules: ≤ 6 MB body (PayloadTooLargeError), 60 s,
   * non-2xx container answer → ModelError (424) with the container's status and body.
   */
  invoke(endpointName: string, body: InvokeBody, options?: InvokeOptions): Promise<InvokeResult>;
  /** InvokeEndpointWithResponseStream: the container's chunks as they arrive. */
  invokeStream(endpointName: string, body: InvokeBody, options?: InvokeOptions): AsyncIterable<Uint8Array>;

  /** Resources carrying the tag (destroy deletes only these). */
  listTaggedResources(filter: TagFilter): Promise<TaggedResource[]>;
  addTags(kind: ResourceKind, name: string, tags: Tags): Promise<void>;
}
