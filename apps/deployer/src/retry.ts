import { SageMakerClientError } from '@vad/sagemaker-client';

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

export async function withRetry<T>(fn: () => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  const base = options.baseDelayMs ?? 500;
  const max = options.maxDelayMs ?? 20_000;
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const retryOn = options.retryOn ?? isRetryable;
  for (let i = 1; ; i++) {
    try {
      return await fn();
    } catch (e) {
      if (i >= attempts || !retryOn(e)) throw e;
      await sleep(Math.random() * Math.min(max, base * 2 ** (i - 1)));
    }
  }
}
