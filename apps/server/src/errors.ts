import { ERRORS, VadError, type ErrorBody, type ErrorCode } from '@vad/contracts';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';

/**
 * A failure as plain data: a stable code from the contracts' ERRORS table (never a second table
 * here), a message that says what to do, and optional details. It is the form a failed task
 * crosses the worker-thread boundary in (infer/wire-error.ts: made once in the worker, a VadError
 * again once on the main thread), and what the HTTP answer is built from.
 */
export interface CodedError {
  code: ErrorCode;
  message: string;
  details?: Record<string, unknown>;
}

/** Whether `e` carries a known code and a message, whatever its class (worker side: see wire-error.ts). */
export function isCoded(e: unknown): e is CodedError {
  return (
    typeof e === 'object' &&
    e !== null &&
    typeof (e as CodedError).code === 'string' &&
    Object.prototype.hasOwnProperty.call(ERRORS, (e as CodedError).code) &&
    typeof (e as CodedError).message === 'string'
  );
}

/** fastify's own errors (body limits, content-type parsing, multipart limits) in our codes. */
function fromFastify(e: FastifyError): CodedError | undefined {
  switch (e.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
    case 'FST_REQ_FILE_TOO_LARGE':
      return {
        code: 'payload_too_large',
        message: `the request body is over the limit (VAD_MAX_BODY_MB); SageMaker real-time requests are capped at 6 MB: send frames as s3:// URIs instead`,
      };
    case 'FST_FILES_LIMIT':
    case 'FST_PARTS_LIMIT':
    case 'FST_FIELDS_LIMIT':
      return { code: 'too_many_frames', message: `too many multipart parts (at most VAD_MAX_FRAMES image parts)` };
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
    case 'FST_INVALID_MULTIPART_CONTENT_TYPE':
      return { code: 'unsupported_media_type', message: e.message };
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
    case 'FST_MP_PREMATURE_CLOSE':
    case 'FST_PROTO_VIOLATION':
      return { code: 'bad_request', message: e.message };
    default:
      if (typeof e.statusCode === 'number' && e.statusCode === 413) return { code: 'payload_too_large', message: e.message };
      if (typeof e.statusCode === 'number' && e.statusCode >= 400 && e.statusCode < 500) return { code: 'bad_request', message: e.message };
      return undefined;
  }
}

/**
 * The HTTP boundary, once: a VadError answers with its own code, message and details (the status
 * is ERRORS[code].status, set by sendError); fastify's own errors map to our codes; anything else
 * is `internal`.
 */
export function toCoded(e: unknown): CodedError & { internal: boolean } {
  if (e instanceof VadError) return { code: e.code, message: e.message, details: e.details, internal: e.code === 'internal' };
  const f = typeof e === 'object' && e !== null && 'code' in e ? fromFastify(e as FastifyError) : undefined;
  if (f) return { ...f, internal: false };
  // Never a stack trace in the body (the toolkits leak tracebacks into ModelError.OriginalMessage).
  return { code: 'internal', message: 'internal error; the request id is in the server log', internal: true };
}

export function errorBody(err: CodedError, requestId?: string): ErrorBody {
  const body: ErrorBody = { error: { code: err.code, message: err.message } };
  if (requestId) body.error.requestId = requestId;
  if (err.details && Object.keys(err.details).length > 0) body.error.details = err.details;
  return body;
}

/** Seconds a refused client should wait: a queue slot frees in about one inference. */
export const RETRY_AFTER_S = 1;

export function sendError(reply: FastifyReply, err: CodedError, requestId?: string): FastifyReply {
  if (err.code === 'overloaded' || err.code === 'model_not_ready') reply.header('retry-after', String(RETRY_AFTER_S));
  return reply
    .code(ERRORS[err.code].status)
    .header('content-type', 'application/json; charset=utf-8')
    .send(JSON.stringify(errorBody(err, requestId)));
}

/** fastify error handler: every failure leaves as the api.md error body, with its request id. */
export function errorHandler(e: unknown, req: FastifyRequest, reply: FastifyReply): FastifyReply {
  const coded = toCoded(e);
  // One key per fact: the reason under `reason`, never a second `msg` a JSON parser would drop.
  if (coded.internal) req.log.error({ err: e }, 'internal error');
  else if (coded.code === 'overloaded') req.log.debug({ code: coded.code, reason: coded.message }, 'request rejected');
  else req.log.info({ code: coded.code, reason: coded.message }, 'request rejected');
  reply.errorCode = coded.code;
  return sendError(reply, coded, req.id);
}

declare module 'fastify' {
  interface FastifyReply {
    /** The stable code of an error answer, for metrics and logs. */
    errorCode?: ErrorCode;
  }
}
