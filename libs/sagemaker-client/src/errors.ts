import { VadError, type ErrorCode } from '@vad/contracts';

/**
 * Every failure of this lib is a SageMakerClientError subclass with a stable `code`, translated
 * once from the AWS SDK's exceptions (or produced by the local target under the same rules), so
 * callers branch on classes and codes, never on SDK error names or message text.
 */
export type SageMakerErrorCode = Extract<
  ErrorCode,
  | 'validation'
  | 'resource_limit'
  | 'throttling'
  | 'not_found'
  | 'resource_in_use'
  | 'model_error'
  | 'model_not_ready'
  | 'invocation_timeout'
  | 'payload_too_large'
  | 'endpoint_failed'
  | 'wait_timeout'
  | 'silent_rollback'
  | 'unsupported_manifest'
  | 'service_unavailable'
  | 'stream_error'
  | 'local_target'
  | 'aws'
>;

export interface ErrorDetails {
  /** HTTP status of the failed call (SageMaker's, not the container's: see ModelError). */
  httpStatus?: number;
  /** The AWS request id, when the error came from AWS. */
  requestId?: string;
  /** The SDK exception name (`ValidationException`, `ResourceLimitExceeded`, …). */
  awsName?: string;
  cause?: unknown;
}

/** A VadError whose code (status and exit code in the contracts' ERRORS) is one of this lib's. */
export class SageMakerClientError extends VadError {
  declare readonly code: SageMakerErrorCode;
  readonly httpStatus?: number;
  readonly requestId?: string;
  readonly awsName?: string;
  /** Whether repeating the same call later may succeed (throttling, not-ready, 5xx). */
  readonly retryable: boolean;

  constructor(code: SageMakerErrorCode, message: string, details: ErrorDetails = {}, retryable = false) {
    super(code, message, undefined, details.cause === undefined ? undefined : { cause: details.cause });
    this.name = 'SageMakerClientError';
    this.httpStatus = details.httpStatus;
    this.requestId = details.requestId;
    this.awsName = details.awsName;
    this.retryable = retryable;
  }
}

/** Bad input: `ValidationException` (control plane), `ValidationError` (runtime), duplicate names. */
export class ValidationError extends SageMakerClientError {
  constructor(message: string, details: ErrorDetails = {}, code: SageMakerErrorCode = 'validation') {
    super(code, message, { httpStatus: 400, ...details });
    this.name = 'ValidationError';
  }
}

/** A request body over SageMaker's real-time limit (6 MB); AWS answers it as a ValidationError. */
export class PayloadTooLargeError extends ValidationError {
  readonly limitBytes: number;
  readonly actualBytes: number;
  constructor(actualBytes: number, limitBytes: number, details: ErrorDetails = {}) {
    super(
      `request body is ${actualBytes} bytes; SageMaker real-time endpoints accept at most ${limitBytes} bytes (use S3 URIs or invokeAsync for larger inputs)`,
      details,
      'payload_too_large',
    );
    this.name = 'PayloadTooLargeError';
    this.limitBytes = limitBytes;
    this.actualBytes = actualBytes;
  }
}

/** `ResourceLimitExceeded`, or a Service Quotas pre-flight that found the quota too small. */
export class ResourceLimitError extends SageMakerClientError {
  readonly quotaName?: string;
  readonly quotaValue?: number;
  readonly requested?: number;
  constructor(message: string, details: ErrorDetails & { quotaName?: string; quotaValue?: number; requested?: number } = {}) {
    super('resource_limit', message, { httpStatus: 400, ...details });
    this.name = 'ResourceLimitError';
    this.quotaName = details.quotaName;
    this.quotaValue = details.quotaValue;
    this.requested = details.requested;
  }
}

/** Throttling that outlived the retries (the SDK's standard retry plus ours). */
export class ThrottlingError extends SageMakerClientError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('throttling', message, { httpStatus: 400, ...details }, true);
    this.name = 'ThrottlingError';
  }
}

/** The named model / endpoint config / endpoint / image / repository / job does not exist. */
export class NotFoundError extends SageMakerClientError {
  readonly resourceKind?: string;
  readonly resourceName?: string;
  constructor(message: string, details: ErrorDetails & { resourceKind?: string; resourceName?: string } = {}) {
    super('not_found', message, { httpStatus: 404, ...details });
    this.name = 'NotFoundError';
    this.resourceKind = details.resourceKind;
    this.resourceName = details.resourceName;
  }
}

/** `ResourceInUse` / `ConflictException`: e.g. a config still used by an endpoint being updated. */
export class ResourceInUseError extends SageMakerClientError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('resource_in_use', message, { httpStatus: 400, ...details }, true);
    this.name = 'ResourceInUseError';
  }
}

/**
 * A local endpoint (or its model or config) belongs to another workspace: another deploy state
 * file created it in the same local state dir. Not retryable: waiting does not change the owner.
 */
export class OwnedElsewhereError extends SageMakerClientError {
  readonly owner: string;

  constructor(message: string, owner: string) {
    super('resource_in_use', message);
    this.name = 'OwnedElsewhereError';
    this.owner = owner;
  }
}

/**
 * The container answered /invocations with a non-2xx status. SageMaker turns that into HTTP 424
 * `ModelError` carrying the container's status and body; the local target does the same.
 */
export class ModelError extends SageMakerClientError {
  readonly endpointName: string;
  /** The container's own HTTP status (`OriginalStatusCode`). */
  readonly originalStatusCode: number;
  /** The container's body (`OriginalMessage`; SageMaker truncates it). */
  readonly originalMessage: string;
  /** CloudWatch log stream ARN on AWS; the server's log file on the local target. */
  readonly logStreamArn?: string;
  /** A link (AWS console) or path (local) where the container's log can be read. */
  readonly logLocation?: string;
  constructor(
    endpointName: string,
    originalStatusCode: number,
    originalMessage: string,
    details: ErrorDetails & { logStreamArn?: string; logLocation?: string; message?: string } = {},
  ) {
    const msg =
      details.message ??
      `Received ${originalStatusCode >= 500 || originalStatusCode === 0 ? 'server' : 'client'} error (${originalStatusCode}) from primary with message "${originalMessage}"`;
    super('model_error', `${msg}${details.logLocation ? ` — container log: ${details.logLocation}` : ''}`, { httpStatus: 424, ...details });
    this.name = 'ModelError';
    this.endpointName = endpointName;
    this.originalStatusCode = originalStatusCode;
    this.originalMessage = originalMessage;
    this.logStreamArn = details.logStreamArn;
    this.logLocation = details.logLocation;
  }

  /** The container's JSON error body `{error:{code,message}}` (api.md), when it is one. */
  get containerError(): { code: string; message: string } | undefined {
    try {
      const parsed = JSON.parse(this.originalMessage) as { error?: { code?: unknown; message?: unknown } };
      if (parsed?.error && typeof parsed.error.code === 'string') {
        return { code: parsed.error.code, message: String(parsed.error.message ?? '') };
      }
    } catch {
      // not JSON: SageMaker's own message or a truncated body
    }
    return undefined;
  }
}

/** 429 `ModelNotReadyException` (serverless provisioning, MME loading) or a local endpoint not yet InService. */
export class ModelNotReadyError extends SageMakerClientError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('model_not_ready', message, { httpStatus: 429, ...details }, true);
    this.name = 'ModelNotReadyError';
  }
}

/** The invocation exceeded the client deadline (~70 s, above SageMaker's 60 s) or SageMaker's 60 s. */
export class InvocationTimeoutError extends SageMakerClientError {
  readonly timeoutMs: number;
  constructor(message: string, timeoutMs: number, details: ErrorDetails = {}) {
    super('invocation_timeout', message, details, true);
    this.name = 'InvocationTimeoutError';
    this.timeoutMs = timeoutMs;
  }
}

/** 503/500/530 from SageMaker itself after retries. */
export class ServiceUnavailableError extends SageMakerClientError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('service_unavailable', message, { httpStatus: 503, ...details }, true);
    this.name = 'ServiceUnavailableError';
  }
}

/** `ModelStreamError` / `InternalStreamFailure` inside a response stream. */
export class StreamError extends SageMakerClientError {
  readonly errorCode?: string;
  constructor(message: string, errorCode?: string, details: ErrorDetails = {}) {
    super('stream_error', message, details);
    this.name = 'StreamError';
    this.errorCode = errorCode;
  }
}

/** The endpoint went `Failed` (or `UpdateRollbackFailed`) while we waited. */
export class EndpointFailedError extends SageMakerClientError {
  readonly endpointName: string;
  readonly status: string;
  readonly failureReason: string;
  /** The last lines of the container's log (CloudWatch on AWS, the server's log file locally). */
  readonly logExcerpt: string[];
  constructor(endpointName: string, status: string, failureReason: string, logExcerpt: string[] = [], details: ErrorDetails = {}) {
    const tail = logExcerpt.length > 0 ? `\n--- container log (last ${logExcerpt.length} lines) ---\n${logExcerpt.join('\n')}` : '';
    super('endpoint_failed', `endpoint ${endpointName} is ${status}: ${failureReason || '(no FailureReason)'}${tail}`, details);
    this.name = 'EndpointFailedError';
    this.endpointName = endpointName;
    this.status = status;
    this.failureReason = failureReason;
    this.logExcerpt = logExcerpt;
  }
}

/** Waiting for a state did not finish within `maxWaitSeconds`. */
export class WaitTimeoutError extends SageMakerClientError {
  readonly endpointName: string;
  readonly lastStatus?: string;
  readonly waitedSeconds: number;
  constructor(endpointName: string, waitedSeconds: number, lastStatus?: string) {
    super(
      'wait_timeout',
      `gave up waiting for endpoint ${endpointName} after ${Math.round(waitedSeconds)} s (last status: ${lastStatus ?? 'unknown'})`,
      {},
      true,
    );
    this.name = 'WaitTimeoutError';
    this.endpointName = endpointName;
    this.lastStatus = lastStatus;
    this.waitedSeconds = waitedSeconds;
  }
}

/**
 * UpdateEndpoint failed and SageMaker rolled back: the endpoint is InService, but on the old
 * config. The SDK waiter reports success; we compare EndpointConfigName instead (notes §4.2).
 */
export class SilentRollbackError extends SageMakerClientError {
  readonly endpointName: string;
  readonly requestedEndpointConfigName: string;
  readonly actualEndpointConfigName: string;
  readonly failureReason?: string;
  constructor(endpointName: string, requested: string, actual: string, failureReason?: string) {
    super(
      'silent_rollback',
      `update of endpoint ${endpointName} to ${requested} was rolled back; it still serves ${actual}${failureReason ? `: ${failureReason}` : ''}`,
    );
    this.name = 'SilentRollbackError';
    this.endpointName = endpointName;
    this.requestedEndpointConfigName = requested;
    this.actualEndpointConfigName = actual;
    this.failureReason = failureReason;
  }
}

/** CreateModel rejects OCI manifests; images must be Docker v2 (`docker buildx build --provenance=false`). */
export class UnsupportedManifestError extends SageMakerClientError {
  readonly mediaType: string;
  constructor(imageUri: string, mediaType: string) {
    super(
      'unsupported_manifest',
      `image ${imageUri} has manifest type ${mediaType}; SageMaker CreateModel accepts only application/vnd.docker.distribution.manifest.v2+json — rebuild with \`docker buildx build --provenance=false --output type=docker\``,
    );
    this.name = 'UnsupportedManifestError';
    this.mediaType = mediaType;
  }
}

/** The local target itself failed (state file, process spawn, unpack). */
export class LocalTargetError extends SageMakerClientError {
  constructor(message: string, details: ErrorDetails = {}) {
    super('local_target', message, details);
    this.name = 'LocalTargetError';
  }
}

export function isSageMakerClientError(e: unknown): e is SageMakerClientError {
  return e instanceof SageMakerClientError;
}
