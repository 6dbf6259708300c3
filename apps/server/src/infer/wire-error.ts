import { VadError } from '@vad/contracts';
import { isCoded, type CodedError } from '../errors';
import type { InferResult, TaskOutput } from './types';

/**
 * The worker-thread boundary, both sides. An error loses its class when it crosses postMessage,
 * so a failed task travels as plain coded data: made once in the worker (toWireError), turned back
 * into a VadError once on the main thread (settle). Nothing in between re-wraps it.
 */

/**
 * Worker side: anything thrown becomes the wire shape. A coded error keeps its code, message and
 * details; anything else becomes `fallback` with its message (never its stack). Coded errors are
 * recognised by shape rather than class so a second copy of @vad/contracts cannot demote them.
 */
export function toWireError(e: unknown, fallback: CodedError['code'] = 'internal'): CodedError {
  if (isCoded(e)) return e.details === undefined ? { code: e.code, message: e.message } : { code: e.code, message: e.message, details: e.details };
  return { code: fallback, message: e instanceof Error ? e.message : String(e) };
}

/** Main-thread side: a worker's answer as a result, or its failure as a VadError, thrown. */
export function settle(out: TaskOutput): InferResult {
  if (out.ok) return out;
  throw new VadError(out.error.code, out.error.message, out.error.details);
}
