import { IMAGE_MEDIA_TYPES, RESPONSE_MEDIA_TYPES, SAGEMAKER_HEADERS, VIDEO_MEDIA_TYPES, VadError } from '@vad/contracts';

/**
 * Content negotiation. The SageMaker toolkits compare media types as exact strings, so
 * `application/json; charset=utf-8` is "unsupported" there and Accept q-values are ignored
 * (sagemaker-notes §2.3); we parse both properly.
 */
export interface MediaType {
  type: string;
  subtype: string;
  /** `type/subtype`, lower case, without parameters. */
  essence: string;
  params: Record<string, string>;
}

const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;

export function parseMediaType(header: string | undefined): MediaType | undefined {
  if (!header) return undefined;
  const [head, ...rest] = splitOutsideQuotes(header, ';');
  const [type, subtype, extra] = (head ?? '').trim().toLowerCase().split('/');
  if (!type || !subtype || extra !== undefined || !TOKEN.test(type) || !TOKEN.test(subtype)) return undefined;
  const params: Record<string, string> = {};
  for (const p of rest) {
    const eq = p.indexOf('=');
    if (eq <= 0) continue;
    const key = p.slice(0, eq).trim().toLowerCase();
    let value = p.slice(eq + 1).trim();
    if (value.startsWith('"') && value.endsWith('"') && value.length >= 2) value = value.slice(1, -1).replace(/\\(.)/g, '$1');
    params[key] = value;
  }
  return { type, subtype, essence: `${type}/${subtype}`, params };
}

function splitOutsideQuotes(s: string, sep: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"' && s[i - 1] !== '\\') quoted = !quoted;
    if (c === sep && !quoted) {
      out.push(cur);
      cur = '';
    } else cur += c;
  }
  out.push(cur);
  return out;
}

export type RequestKind = 'json' | 'multipart' | 'image' | 'video';

/** Which input path a Content-Type selects; 415 unsupported_media_type otherwise. */
export function requestKind(contentType: string | undefined): { kind: RequestKind; media: MediaType } {
  const media = parseMediaType(contentType);
  if (!media) {
    throw new VadError(
      'unsupported_media_type',
      contentType
        ? `Content-Type ${JSON.stringify(contentType)} is not a media type`
        : 'a Content-Type is required: application/json, multipart/form-data, an image type or a video type',
    );
  }
  if (media.essence === 'application/json' || (media.type === 'application' && media.subtype.endsWith('+json'))) return { kind: 'json', media };
  if (media.essence === 'multipart/form-data') return { kind: 'multipart', media };
  if ((IMAGE_MEDIA_TYPES as readonly string[]).includes(media.essence)) return { kind: 'image', media };
  if ((VIDEO_MEDIA_TYPES as readonly string[]).includes(media.essence)) return { kind: 'video', media };
  throw new VadError(
    'unsupported_media_type',
    `Content-Type ${media.essence} is not accepted; use application/json, multipart/form-data, ${IMAGE_MEDIA_TYPES.join(', ')} or ${VIDEO_MEDIA_TYPES.join(', ')}`,
  );
}

export type ResponseType = (typeof RESPONSE_MEDIA_TYPES)[number];

interface AcceptRange {
  type: string;
  subtype: string;
  q: number;
  specificity: number;
  order: number;
}

function parseAccept(header: string): AcceptRange[] {
  const ranges: AcceptRange[] = [];
  splitOutsideQuotes(header, ',').forEach((part, order) => {
    const m = parseMediaType(part.trim()) ?? (part.trim() === '*' ? parseMediaType('*/*') : undefined);
    if (!m) return;
    let q = 1;
    if (m.params.q !== undefined) {
      q = Number(m.params.q);
      if (!Number.isFinite(q) || q < 0 || q > 1) q = 0;
    }
    const specificity = (m.type === '*' ? 0 : 2) + (m.subtype === '*' ? 0 : 1);
    ranges.push({ type: m.type, subtype: m.subtype, q, specificity, order });
  });
  return ranges;
}

/**
 * The response types the client accepts, best first (RFC 9110 q-values; the most specific range
 * decides a type's q; ties keep our preference JSON, PNG, JPEG). Missing or empty Accept means
 * application/json, as SAGEMAKER_DEFAULT_INVOCATIONS_ACCEPT does in the toolkits.
 */
export function acceptableResponseTypes(accept: string | undefined): ResponseType[] {
  if (!accept || accept.trim() === '') return ['application/json'];
  const ranges = parseAccept(accept);
  const scored: { t: ResponseType; q: number; pref: number }[] = [];
  RESPONSE_MEDIA_TYPES.forEach((t, pref) => {
    const [type, subtype] = t.split('/');
    let best: AcceptRange | undefined;
    for (const r of ranges) {
      const matches = (r.type === '*' || r.type === type) && (r.subtype === '*' || r.subtype === subtype);
      if (matches && (!best || r.specificity > best.specificity)) best = r;
    }
    if (best && best.q > 0) scored.push({ t, q: best.q, pref });
  });
  scored.sort((a, b) => b.q - a.q || a.pref - b.pref);
  return scored.map((s) => s.t);
}

export function negotiateOrThrow(accept: string | undefined): ResponseType[] {
  const types = acceptableResponseTypes(accept);
  if (types.length === 0) {
    throw new VadError('unsupported_accept', `Accept ${JSON.stringify(accept)} matches none of ${RESPONSE_MEDIA_TYPES.join(', ')}`);
  }
  return types;
}

/** Image responses draw one scored frame, so they need exactly one result. */
export function chooseResponseType(types: ResponseType[], resultCount: number): ResponseType {
  const chosen = types.find((t) => t === 'application/json' || resultCount === 1);
  if (!chosen) {
    throw new VadError(
      'unsupported_accept',
      `${types.join(', ')} render a single scored frame, but this request yields ${resultCount} results; send one clip (two frames) or Accept: application/json`,
      { results: resultCount },
    );
  }
  return chosen;
}

/**
 * X-Amzn-SageMaker-Custom-Attributes: opaque to SageMaker (≤1024 visible ASCII), forwarded verbatim.
 * We read `stream=<id>` and `fps=<n>` from a `;`- or `,`-separated key=value list and keep the rest.
 */
export interface CustomAttributes {
  raw: string | undefined;
  stream?: string;
  fps?: number;
  other: Record<string, string>;
}

export function parseCustomAttributes(raw: string | undefined): CustomAttributes {
  const out: CustomAttributes = { raw, other: {} };
  if (!raw) return out;
  for (const part of raw.split(/[;,]/)) {
    const eq = part.indexOf('=');
    const key = (eq < 0 ? part : part.slice(0, eq)).trim();
    const value = eq < 0 ? '' : part.slice(eq + 1).trim();
    if (!key) continue;
    if (key === 'stream') {
      if (!/^[A-Za-z0-9._:-]{1,256}$/.test(value))
        throw new VadError('bad_request', `custom attribute stream=${JSON.stringify(value)}: use 1-256 characters of A-Z a-z 0-9 . _ : -`);
      out.stream = value;
    } else if (key === 'fps') {
      const fps = Number(value);
      if (!Number.isFinite(fps) || fps <= 0 || fps > 240)
        throw new VadError('bad_request', `custom attribute fps=${JSON.stringify(value)}: use a number in (0, 240]`);
      out.fps = fps;
    } else out.other[key] = value;
  }
  return out;
}

export const SESSION_ID_PATTERN = /^[a-zA-Z0-9](-*[a-zA-Z0-9])*$/;

export interface SageMakerContext {
  inferenceId?: string;
  sessionId?: string;
  attributes: CustomAttributes;
}

export function sagemakerContext(headers: Record<string, string | string[] | undefined>): SageMakerContext {
  const one = (name: string): string | undefined => {
    const v = headers[name];
    return Array.isArray(v) ? v[0] : v;
  };
  const sessionId = one(SAGEMAKER_HEADERS.sessionId)?.trim() || undefined;
  if (sessionId !== undefined && sessionId !== 'NEW_SESSION' && (sessionId.length > 256 || !SESSION_ID_PATTERN.test(sessionId))) {
    throw new VadError('bad_request', `X-Amzn-SageMaker-Session-Id ${JSON.stringify(sessionId.slice(0, 64))} is neither NEW_SESSION nor a session id`);
  }
  return {
    inferenceId: one(SAGEMAKER_HEADERS.inferenceId),
    sessionId,
    attributes: parseCustomAttributes(one(SAGEMAKER_HEADERS.customAttributes)),
  };
}
