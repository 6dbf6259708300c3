import { SAGEMAKER_NAME } from '@vad/contracts';
import { ValidationError } from './errors';

/**
 * SageMaker's own limits and formats, shared by both targets so the local emulator enforces
 * exactly what AWS enforces (notes §1.3, §1.4).
 */

/** Real-time request/response body limit (smithy `BodyBlob` max). */
export const MAX_REALTIME_PAYLOAD_BYTES = 6_291_456;
/** Inline body limit of InvokeEndpointAsync (larger inputs go through InputLocation). */
export const MAX_ASYNC_INLINE_BYTES = 128_000;
/** SageMaker cuts real-time invocations after 60 s. */
export const SAGEMAKER_INVOCATION_TIMEOUT_MS = 60_000;
/** The client deadline AWS recommends: above SageMaker's 60 s, so SageMaker's answer wins. */
export const DEFAULT_CLIENT_TIMEOUT_MS = 70_000;
/** `/ping` must answer within 2 s. */
export const PING_TIMEOUT_MS = 2_000;
/** Default ContainerStartupHealthCheckTimeoutInSeconds (current docs: 8 minutes). */
export const DEFAULT_STARTUP_HEALTH_CHECK_SECONDS = 480;
export const DEFAULT_VARIANT_NAME = 'AllTraffic';

// The name rule is the contracts' (one regex for the deploy config, the names and both targets);
// a session id follows the same rule, or is the literal NEW_SESSION.
const SESSION = new RegExp(`^(NEW_SESSION)$|${SAGEMAKER_NAME.source}`);

/** Model, endpoint config and endpoint names: ≤ 63 chars of `^[a-zA-Z0-9](-*[a-zA-Z0-9])*$`. */
export function assertResourceName(kind: string, name: string): void {
  if (typeof name !== 'string' || name.length === 0 || name.length > 63 || !SAGEMAKER_NAME.test(name)) {
    throw new ValidationError(`${kind} name ${JSON.stringify(name)} must be 1–63 characters of letters, digits and single hyphens (${SAGEMAKER_NAME.source})`);
  }
}

/** Checks the invocation headers the way SageMaker's API validation does. */
export function assertInvokeOptions(o: { customAttributes?: string; sessionId?: string; inferenceId?: string }): void {
  if (o.customAttributes !== undefined && (o.customAttributes.length > 1024 || !/^[\x20-\x7E]*$/.test(o.customAttributes))) {
    throw new ValidationError('customAttributes must be at most 1024 visible US-ASCII characters');
  }
  if (o.sessionId !== undefined && (o.sessionId.length > 256 || !SESSION.test(o.sessionId))) {
    throw new ValidationError(`sessionId ${JSON.stringify(o.sessionId)} must be NEW_SESSION or an id the endpoint returned`);
  }
  if (o.inferenceId !== undefined && (o.inferenceId.length < 1 || o.inferenceId.length > 64 || !/^[\x20-\x7E]+$/.test(o.inferenceId))) {
    throw new ValidationError('inferenceId must be 1–64 printable characters');
  }
}

/** `X-Amzn-SageMaker-New-Session-Id: <id>; Expires=YYYY-MM-DDTHH:MM:SSZ` → parts. */
export function parseSessionHeader(value: string): { sessionId: string; expires?: Date } {
  const [id, ...params] = value.split(';').map((s) => s.trim());
  const exp = params.find((p) => /^expires=/i.test(p));
  const date = exp ? new Date(exp.slice(exp.indexOf('=') + 1)) : undefined;
  return { sessionId: id ?? '', expires: date && !Number.isNaN(date.getTime()) ? date : undefined };
}

export function toBytes(body: Uint8Array | string): Uint8Array {
  return typeof body === 'string' ? new TextEncoder().encode(body) : body;
}
