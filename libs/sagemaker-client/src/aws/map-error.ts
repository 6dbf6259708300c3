import {
  InvocationTimeoutError,
  ModelError,
  ModelNotReadyError,
  NotFoundError,
  ResourceInUseError,
  ResourceLimitError,
  SageMakerClientError,
  ServiceUnavailableError,
  StreamError,
  ThrottlingError,
  ValidationError,
  type ErrorDetails,
} from '../errors';

/**
 * AWS SDK v3 exceptions → this lib's typed errors, in one place (style.md: "wrap SDK errors once").
 * The SDK's modeled classes differ per client and many (ValidationException, ThrottlingException)
 * are unmodeled, so the mapping goes by `name` and HTTP status, not by `instanceof`.
 */

interface AwsErrorLike {
  name?: string;
  message?: string;
  $metadata?: { httpStatusCode?: number; requestId?: string };
  $fault?: 'client' | 'server';
  OriginalStatusCode?: number;
  OriginalMessage?: string;
  LogStreamArn?: string;
  ErrorCode?: string;
  /** Node's socket error code (ECONNRESET, EPIPE, …), kept by the SDK's HTTP handler. */
  code?: string;
}

export interface ErrorContext {
  endpointName?: string;
  resourceKind?: string;
  resourceName?: string;
}

const THROTTLING = new Set([
  'ThrottlingException',
  'Throttling',
  'ThrottledException',
  'TooManyRequestsException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ProvisionedThroughputExceededException',
]);
const NOT_FOUND = new Set([
  'ResourceNotFound',
  'ResourceNotFoundException',
  'NoSuchKey',
  'NoSuchBucket',
  'NotFound',
  'RepositoryNotFoundException',
  'ImageNotFoundException',
  'NoSuchResourceException',
  'ObjectNotDeployedException',
]);
const IN_USE = new Set(['ResourceInUse', 'ConflictException', 'ConcurrentUpdateException']);
export const CONNECTION_LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNREFUSED']);
const UNAVAILABLE = new Set([
  'ServiceUnavailable',
  'InternalFailure',
  'InternalDependencyException',
  'InternalServerError',
  'InternalServiceException',
  'ServiceException',
]);

/** `arn:aws:logs:<region>:<acct>:log-group:<group>:log-stream:<stream>` → the console's log viewer. */
export function logStreamConsoleUrl(logStreamArn: string | undefined): string | undefined {
  const m = logStreamArn?.match(/^arn:aws[\w-]*:logs:([\w-]+):\d+:log-group:(.+?):log-stream:(.+)$/);
  if (!m) return undefined;
  const [, region, group, stream] = m;
  return `https://${region}.console.aws.amazon.com/cloudwatch/home?region=${region}#logEventViewer:group=${group};stream=${stream}`;
}

export function isAlreadyExists(e: unknown): boolean {
  return e instanceof ValidationError && /already exist/i.test(e.message);
}

export function mapAwsError(e: unknown, ctx: ErrorContext = {}): Error {
  if (e instanceof SageMakerClientError) return e;
  if (!(e instanceof Error)) return new SageMakerClientError('aws', String(e));
  const a = e as AwsErrorLike & Error;
  const name = a.name ?? 'Error';
  const message = a.message || name;
  const httpStatus = a.$metadata?.httpStatusCode;
  const details: ErrorDetails = { httpStatus, requestId: a.$metadata?.requestId, awsName: name, cause: e };

  if (name === 'ModelError') {
    return new ModelError(ctx.endpointName ?? '', a.OriginalStatusCode ?? 0, a.OriginalMessage ?? '', {
      ...details,
      httpStatus: 424,
      message,
      logStreamArn: a.LogStreamArn,
      logLocation: logStreamConsoleUrl(a.LogStreamArn),
    });
  }
  if (name === 'ModelNotReadyException') return new ModelNotReadyError(message, details);
  if (name === 'ModelStreamError' || name === 'InternalStreamFailure') return new StreamError(message, a.ErrorCode ?? name, details);
  if (name === 'ResourceLimitExceeded' || name === 'ServiceQuotaExceededException') return new ResourceLimitError(message, details);
  if (THROTTLING.has(name) || (httpStatus === 429 && name !== 'ModelNotReadyException')) return new ThrottlingError(message, details);
  if (NOT_FOUND.has(name))
    return new NotFoundError(message, { ...details, httpStatus: httpStatus ?? 404, resourceKind: ctx.resourceKind, resourceName: ctx.resourceName });
  if (IN_USE.has(name)) return new ResourceInUseError(message, details);
  if (name === 'ValidationException' || name === 'ValidationError' || name === 'InvalidParameterException' || name === 'InvalidParameterValueException') {
    // SageMaker reports missing resources as validation errors ("Could not find endpoint …",
    // "Endpoint … of account … not found."): surface them as NotFoundError.
    if (/could not find|not found|does not exist/i.test(message)) {
      return new NotFoundError(message, { ...details, resourceKind: ctx.resourceKind, resourceName: ctx.resourceName });
    }
    return new ValidationError(message, details);
  }
  // The SDK's Node handler names ECONNRESET/EPIPE "TimeoutError": the connection was lost (a
  // proxy or load balancer dropped it), which is transient and worth another attempt, not a timeout.
  if (a.code !== undefined && CONNECTION_LOST.has(a.code))
    return new ServiceUnavailableError(/connection lost/.test(message) ? message : `connection lost before an answer (${a.code}: ${message})`, details);
  if (name === 'TimeoutError' || name === 'RequestTimeout' || name === 'AbortError') {
    return new InvocationTimeoutError(message, 0, details);
  }
  if (UNAVAILABLE.has(name) || (httpStatus !== undefined && httpStatus >= 500) || a.$fault === 'server') return new ServiceUnavailableError(message, details);
  return new SageMakerClientError('aws', `${name}: ${message}`, details);
}
