import { SageMakerClientError, withRetry as backoffRetry } from '@vad/sagemaker-client';

/**
 * Retries a control-plane call that failed for a reason that passes (throttling, 5xx, a resource
 * still in use), with exponential backoff and full jitter — on top of the SDK's own retries, which
 * give up after three attempts, too few for a burst of CreateModel/Describe* calls in a CI account.
 */
export interface RetryOptions {
  readonly attempts?: number;
  readonly baseDelayMs?: number;
  readonly maxDelayMs?: number;
  readonly sleep?: (ms: number) => Promise<void>;
  /** Which errors to retry; default: retryable SageMakerClientErrors and the SDK's throttling names. */
  readonly retryOn?: (e: unknown) => boolean;
}

const THROTTLING = /^(Throttling|ThrottlingException|ThrottledException|TooManyRequestsException|RequestLimitExceeded|SlowDown|ProvisionedThroughputExceededException)$/;

export function isRetryable(e: unknown): boolean {
  if (e instanceof SageMakerClientError) return e.retryable && e.code !== 'wait_timeout';
  const name = (e as { name?: string } | undefined)?.name ?? '';
  const status = (e as { $metadata?: { httpStatusCode?: number } } | undefined)?.$metadata?.httpStatusCode;
  return THROTTLING.test(name) || (status !== undefined && status >= 500);
}

export function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  // The backoff loop is sagemaker-client's; the deployer only widens what counts as passing.
  return backoffRetry(fn, (e) => e as Error, {
    attempts: options.attempts,
    baseDelayMs: options.baseDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs,
    sleep: options.sleep,
    retryOn: options.retryOn ?? isRetryable,
  });
}
