import { JsonInvocationSchema, resolveFrameRef, VadError, type FrameRef } from '@vad/contracts';
import type { FrameSource, ParsedRequest } from './frames';

const BASE64 = /^[A-Za-z0-9+/_-]*={0,2}$/;
const DATA_URL = /^data:[\w.+/-]+;base64,/;

/** Base64 (standard or URL-safe, optional data: URL prefix) → bytes; bad_image when it is neither that nor s3://. */
export function decodeBase64Frame(data: string, index: number): Uint8Array {
  let s = data.replace(DATA_URL, '');
  if (/\s/.test(s)) s = s.replace(/\s+/g, '');
  if (s.length === 0 || !BASE64.test(s)) {
    const hint = data.startsWith('s3://') ? ' (it looks like an s3:// URI but is not s3://bucket/key with a valid bucket name)' : '';
    throw new VadError('bad_image', `frame ${index} is neither an s3:// URI nor base64${hint}`, { frame: index });
  }
  const buf = Buffer.from(s, s.includes('-') || s.includes('_') ? 'base64url' : 'base64');
  if (buf.byteLength === 0) throw new VadError('bad_image', `frame ${index} decodes to no bytes`, { frame: index });
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.byteLength);
}

function source(ref: FrameRef, index: number): FrameSource {
  const r = resolveFrameRef(ref);
  return r.kind === 's3' ? { kind: 's3', uri: r.uri } : { kind: 'bytes', bytes: decodeBase64Frame(r.data, index) };
}

function describeIssues(error: { issues: Array<{ path: PropertyKey[]; message: string }> }): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length ? i.path.map(String).join('.') : '(body)'}: ${i.message}`)
    .join('; ');
}

const SHAPES =
  '{"frames": [F, …]}, {"clips": [[F, F], …]} or {"images": [F, …], "clip": true|false}, where F is {"b64": "…"}, {"s3": "s3://bucket/key"} or a string';

/**
 * application/json bodies (api.md): frames, clips, or the original tutorial's images + clip. The
 * frame count is checked before any base64 is decoded or any S3 object fetched.
 */
export function parseJsonInvocation(body: Buffer | string, maxFrames: number): ParsedRequest {
  let buf = typeof body === 'string' ? Buffer.from(body) : body;
  // A UTF-8 byte-order mark (Windows tools, PowerShell's Out-File) is not part of the JSON text
  // (RFC 8259 §8.1 lets a parser ignore it); JSON.parse would refuse it.
  if (buf.length >= 3 && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
  const depth = nestingDepth(buf, MAX_DEPTH);
  if (depth > MAX_DEPTH) {
    throw new VadError('bad_json', `the JSON body is nested deeper than ${MAX_DEPTH} levels; the API's bodies are at most 4 deep. Expected ${SHAPES}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(buf.toString('utf8'));
  } catch (e) {
    throw new VadError('bad_json', `the body is not valid JSON (${e instanceof Error ? e.message : String(e)}); expected ${SHAPES}`);
  }
  if (typeof value === 'object' && value !== null && !Array.isArray(value) && 'requestType' in value) {
    const t = (value as { requestType: unknown }).requestType;
    if (t === 'NEW_SESSION' || t === 'CLOSE') return { form: 'control', requestType: t };
    throw new VadError('bad_json', `requestType must be "NEW_SESSION" or "CLOSE"`);
  }
  // Count before validating: a huge list should be refused as too many frames, not walked.
  const count = countFrameRefs(value);
  if (count > maxFrames) {
    throw new VadError(
      'too_many_frames',
      `the request has ${count} frames; at most ${maxFrames} (VAD_MAX_FRAMES) per request: split it, or use Batch Transform`,
      {
        frames: count,
        max: maxFrames,
      },
    );
  }
  const parsed = JsonInvocationSchema.safeParse(value);
  if (!parsed.success) throw new VadError('bad_json', `the JSON body does not match the API (${describeIssues(parsed.error)}); expected ${SHAPES}`);
  const req = parsed.data;
  if ('frames' in req) return { form: 'sequence', frames: req.frames.map(source) };
  if ('clips' in req) {
    let index = 0;
    const clips = req.clips.map((clip) => {
      const firstIndex = index;
      const lastIndex = index + clip.length - 1;
      index += clip.length;
      return { first: source(clip[0]!, firstIndex), last: source(clip[clip.length - 1]!, lastIndex), lastIndex };
    });
    return { form: 'clips', clips };
  }
  // The original tutorial: clip=true is one clip (first, last), clip=false a sequence.
  if (req.clip) {
    if (req.images.length < 2) {
      throw new VadError('needs_clip', `{"images": [...], "clip": true} needs at least two images (the clip's first and last frames)`);
    }
    const lastIndex = req.images.length - 1;
    return { form: 'clips', clips: [{ first: source(req.images[0]!, 0), last: source(req.images[lastIndex]!, lastIndex), lastIndex }] };
  }
  return { form: 'sequence', frames: req.images.map(source) };
}

const MAX_DEPTH = 32;

/**
 * Nesting depth of a JSON text, stopping once past `limit`. A megabyte of `[[[[…` parses into
 * half a million arrays; refusing it before JSON.parse keeps such bodies from costing memory.
 */
export function nestingDepth(buf: Uint8Array, limit: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < buf.length; i++) {
    const c = buf[i]!;
    if (inString) {
      if (c === 0x5c)
        i++; // backslash: skip the escaped byte
      else if (c === 0x22) inString = false;
      continue;
    }
    if (c === 0x22) inString = true;
    else if (c === 0x5b || c === 0x7b) {
      if (++depth > max) {
        max = depth;
        if (max > limit) return max;
      }
    } else if (c === 0x5d || c === 0x7d) depth--;
  }
  return max;
}

function countFrameRefs(v: unknown): number {
  if (typeof v !== 'object' || v === null) return 0;
  const o = v as Record<string, unknown>;
  let n = 0;
  if (Array.isArray(o.frames)) n += o.frames.length;
  if (Array.isArray(o.images)) n += o.images.length;
  if (Array.isArray(o.clips)) for (const c of o.clips) n += Array.isArray(c) ? c.length : 1;
  return n;
}
