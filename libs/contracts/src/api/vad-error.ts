import { ERRORS, type ErrorCode } from './errors';

/**
 * The one error class of vad-serve: a stable `code` from the ERRORS table, which gives its HTTP
 * status (server) and process exit code (CLIs). Every lib throws it or a subclass
 * (sagemaker-client's SageMakerClientError), so each boundary — worker thread, HTTP answer,
 * process exit — converts once, from the code. (No `status` getter: a subclass's `status` may be
 * a resource's state; the HTTP status is `ERRORS[code].status`.)
 */
export class VadError extends Error {
  readonly code: ErrorCode;
  readonly details?: Record<string, unknown>;

  constructor(code: ErrorCode, message: string, details?: Record<string, unknown>, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'VadError';
    this.code = code;
    this.details = details;
  }

  get exitCode(): number {
    return ERRORS[this.code].exit;
  }
}

export function isVadError(e: unknown): e is VadError {
  return e instanceof VadError;
}

/** Wraps anything thrown into a VadError, keeping VadErrors (and subclasses) as they are. */
export function asVadError(e: unknown, fallback: ErrorCode = 'internal'): VadError {
  if (e instanceof VadError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new VadError(fallback, message, undefined, { cause: e });
}
