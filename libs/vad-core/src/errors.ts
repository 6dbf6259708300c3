import { ERRORS, type ErrorCode } from '@vad/contracts';

/**
 * Every failure vad-core reports is a VadError with a stable `code` from the contracts' ERRORS
 * table; the server maps it to HTTP, the CLIs to an exit code and one readable line.
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

  get status(): number {
    return ERRORS[this.code].status;
  }

  get exitCode(): number {
    return ERRORS[this.code].exit;
  }
}

export function isVadError(e: unknown): e is VadError {
  return e instanceof VadError;
}

/** Wraps anything thrown into a VadError, keeping VadErrors as they are. */
export function asVadError(e: unknown, fallback: ErrorCode = 'internal'): VadError {
  if (e instanceof VadError) return e;
  const message = e instanceof Error ? e.message : String(e);
  return new VadError(fallback, message, undefined, { cause: e });
}
