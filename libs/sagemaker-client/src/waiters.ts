import { EndpointFailedError, NotFoundError, SilentRollbackError, WaitTimeoutError } from './errors';
import type { EndpointDescription, EndpointStatus, WaitOptions, WaitProgress } from './target';

/** What a target gives the shared polling loop. */
export interface EndpointPoller {
  describeEndpoint(endpointName: string): Promise<EndpointDescription>;
  /** The container's last log lines, for the Failed fast path (CloudWatch or a local file). */
  logExcerpt?(endpoint: EndpointDescription): Promise<string[]>;
}

export interface PollDefaults {
  pollSeconds: number;
  maxWaitSeconds: number;
}

/** Statuses that end a wait for InService with an error, at once (no waiting out the window). */
const FAILED: ReadonlySet<EndpointStatus> = new Set<EndpointStatus>(['Failed', 'UpdateRollbackFailed']);

/**
 * Seconds between status polls on AWS: 15–30 s. The SDK waiters back off to an hour between
 * polls; faster than 15 s only spends the account's Describe* rate.
 */
export function awsPollSeconds(requested: number): number {
  return Math.min(30, Math.max(15, requested));
}

export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason ?? new Error('aborted'));
    const t = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = (): void => {
      clearTimeout(t);
      reject(signal?.reason ?? new Error('aborted'));
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

async function excerpt(poller: EndpointPoller, d: EndpointDescription): Promise<string[]> {
  if (!poller.logExcerpt) return [];
  try {
    return await poller.logExcerpt(d);
  } catch (e) {
    // The log is a diagnosis aid: never let reading it hide the failure itself.
    return [`(could not read the container log: ${e instanceof Error ? e.message : String(e)})`];
  }
}

/**
 * Steady polling of DescribeEndpoint (every `pollSeconds`, not the SDK waiter's exponential
 * backoff to an hour), reporting each observation. InService → done, unless an expected config
 * was given and the endpoint serves another one (a silent rollback, notes §4.2/§5.4). Failed →
 * EndpointFailedError with FailureReason and the container log's tail, at once.
 */
export async function pollUntilInService(
  poller: EndpointPoller,
  endpointName: string,
  options: WaitOptions,
  defaults: PollDefaults,
): Promise<EndpointDescription> {
  const pollMs = Math.max(0, (options.pollSeconds ?? defaults.pollSeconds) * 1000);
  const maxMs = (options.maxWaitSeconds ?? defaults.maxWaitSeconds) * 1000;
  const started = Date.now();
  let last: EndpointDescription | undefined;
  for (let attempt = 1; ; attempt++) {
    const d = await poller.describeEndpoint(endpointName);
    last = d;
    const elapsedSeconds = (Date.now() - started) / 1000;
    const progress: WaitProgress = { endpointName, status: d.status, elapsedSeconds, attempt, variants: d.variants, failureReason: d.failureReason };
    options.onProgress?.(progress);
    if (d.status === 'InService') {
      const expected = options.expectedEndpointConfigName;
      if (expected && d.endpointConfigName !== expected) {
        throw new SilentRollbackError(endpointName, expected, d.endpointConfigName, d.failureReason);
      }
      return d;
    }
    if (FAILED.has(d.status)) {
      throw new EndpointFailedError(endpointName, d.status, d.failureReason ?? '', await excerpt(poller, d));
    }
    if (d.status === 'Deleting') {
      throw new EndpointFailedError(endpointName, d.status, 'the endpoint is being deleted');
    }
    if (Date.now() - started + pollMs > maxMs) throw new WaitTimeoutError(endpointName, (Date.now() - started) / 1000, last.status);
    await sleep(pollMs, options.signal);
  }
}

/** Polls until DescribeEndpoint says the endpoint does not exist (NotFoundError). */
export async function pollUntilDeleted(poller: EndpointPoller, endpointName: string, options: WaitOptions, defaults: PollDefaults): Promise<void> {
  const pollMs = Math.max(0, (options.pollSeconds ?? defaults.pollSeconds) * 1000);
  const maxMs = (options.maxWaitSeconds ?? defaults.maxWaitSeconds) * 1000;
  const started = Date.now();
  let lastStatus: EndpointStatus | undefined;
  for (let attempt = 1; ; attempt++) {
    let d: EndpointDescription;
    try {
      d = await poller.describeEndpoint(endpointName);
    } catch (e) {
      if (e instanceof NotFoundError) {
        options.onProgress?.({ endpointName, status: 'NotFound', elapsedSeconds: (Date.now() - started) / 1000, attempt, variants: [] });
        return;
      }
      throw e;
    }
    lastStatus = d.status;
    options.onProgress?.({
      endpointName,
      status: d.status,
      elapsedSeconds: (Date.now() - started) / 1000,
      attempt,
      variants: d.variants,
      failureReason: d.failureReason,
    });
    if (d.status === 'Failed' && attempt > 1) {
      throw new EndpointFailedError(endpointName, d.status, d.failureReason ?? 'deletion failed', await excerpt(poller, d));
    }
    if (Date.now() - started + pollMs > maxMs) throw new WaitTimeoutError(endpointName, (Date.now() - started) / 1000, lastStatus);
    await sleep(pollMs, options.signal);
  }
}
