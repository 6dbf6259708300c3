import { ThrottlingError, ServiceUnavailableError } from '../errors';
import { sleep } from '../waiters';

export interface RetryOptions {
  /** Total attempts including the first (default 6). The SDK's own standard retry runs inside each. */
  attempts?: number;
  /** First backoff (default 1000 ms); doubles per attempt with full jitter. */
  baseDelayMs?: number;
  maxDelayMs?: number;
  onRetry?: (info: { attempt: number; delayMs: number; error: Error }) => void;
  /** Which (mapped) errors are worth another attempt; default: throttling and SageMaker's 5xx. */
  retryOn?: (e: Error) => boolean;
  /** Replaces the backoff wait (tests). */
  sleep?: (ms: number) => Promise<void>;
}

const passes = (e: Error): boolean => e instanceof ThrottlingError || e instanceof ServiceUnavailableError;

/**
 * Retries throttling and SageMaker's own 5xx with exponential backoff and full jitter. The SDK
 * retries too (3 attempts), but a deploy that polls, lists and tags can outlast that budget;
 * validation, limits, not-found and ModelError are never retried.
 */
export async function withRetry<T>(fn: () => Promise<T>, map: (e: unknown) => Error, options: RetryOptions = {}): Promise<T> {
  const attempts = options.attempts ?? 6;
  const base = options.baseDelayMs ?? 1000;
  const max = options.maxDelayMs ?? 20_000;
  for (let attempt = 1; ; attempt++) {
    try {
      return await fn();
    } catch (raw) {
      const e = map(raw);
      if (!(options.retryOn ?? passes)(e) || attempt >= attempts) throw e;
      const delayMs = Math.round(Math.random() * Math.min(max, base * 2 ** (attempt - 1)));
      options.onRetry?.({ attempt, delayMs, error: e });
      await (options.sleep ?? sleep)(delayMs);
    }
  }
}
