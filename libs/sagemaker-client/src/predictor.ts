import { InvocationResponseSchema, type IMAGE_MEDIA_TYPES, type InvocationResponse, type VIDEO_MEDIA_TYPES } from '@vad/contracts';

/** The media types of api.md (the contracts' lists). */
type ImageMediaType = (typeof IMAGE_MEDIA_TYPES)[number];
type VideoMediaType = (typeof VIDEO_MEDIA_TYPES)[number];
import type { EndpointTarget, InvokeOptions, InvokeResult } from './target';

/**
 * Request serializers and response deserializers in the manner of the SageMaker Python SDK's
 * Predictor (`DataSerializer("image/x-image")`, `JSONSerializer`, `JSONDeserializer`), for the
 * request forms of api.md: one image, a sequence of frames as JSON, independent clips, S3 URIs.
 */

export interface SerializedRequest {
  body: Uint8Array | string;
  contentType: string;
}

export type FrameInput = Uint8Array | { s3: string };

/** The image's media type from its magic bytes (JPEG, PNG, WebP), else application/x-image. */
export function imageContentType(bytes: Uint8Array): ImageMediaType {
  if (bytes[0] === 0xff && bytes[1] === 0xd8) return 'image/jpeg';
  if (bytes[0] === 0x89 && bytes[1] === 0x50 && bytes[2] === 0x4e && bytes[3] === 0x47) return 'image/png';
  if (bytes[0] === 0x52 && bytes[1] === 0x49 && bytes[2] === 0x46 && bytes[3] === 0x46 && bytes[8] === 0x57 && bytes[9] === 0x45) return 'image/webp';
  return 'application/x-image';
}

const frame = (f: FrameInput): { b64: string } | { s3: string } =>
  f instanceof Uint8Array ? { b64: Buffer.from(f.buffer, f.byteOffset, f.byteLength).toString('base64') } : { s3: f.s3 };

export const serializers = {
  /** One frame as raw bytes (scored against the session's previous frame). */
  image(bytes: Uint8Array, contentType = imageContentType(bytes)): SerializedRequest {
    return { body: bytes, contentType };
  },
  /** A sequence of N frames (N−1 results) as `{"frames": [...]}`. */
  frames(frames: FrameInput[]): SerializedRequest {
    return { body: JSON.stringify({ frames: frames.map(frame) }), contentType: 'application/json' };
  },
  /** Independent clips, one result each, as `{"clips": [[F, F], ...]}`. */
  clips(clips: FrameInput[][]): SerializedRequest {
    return { body: JSON.stringify({ clips: clips.map((c) => c.map(frame)) }), contentType: 'application/json' };
  },
  /** The original tutorial's S3 URI list: `{"images": [...], "clip": bool}`. */
  s3Uris(uris: string[], clip = false): SerializedRequest {
    for (const u of uris) if (!u.startsWith('s3://')) throw new TypeError(`not an s3:// URI: ${u}`);
    return { body: JSON.stringify({ images: uris, clip }), contentType: 'application/json' };
  },
  /** Any JSON value. */
  json(value: unknown): SerializedRequest {
    return { body: JSON.stringify(value), contentType: 'application/json' };
  },
  /** A video file (`fps=<n>` goes in customAttributes). */
  video(bytes: Uint8Array, contentType: VideoMediaType = 'video/mp4'): SerializedRequest {
    return { body: bytes, contentType };
  },
};

export const deserializers = {
  json<T = unknown>(r: InvokeResult): T {
    return JSON.parse(Buffer.from(r.body).toString('utf8')) as T;
  },
  text(r: InvokeResult): string {
    return Buffer.from(r.body).toString('utf8');
  },
  bytes(r: InvokeResult): Uint8Array {
    return r.body;
  },
};

/** A result body of api.md: the contracts' InvocationResponse. */
export type VadResponse = InvocationResponse;

/** Predictor-style convenience over any EndpointTarget (local or AWS). */
export class Predictor {
  constructor(
    readonly target: EndpointTarget,
    readonly endpointName: string,
    readonly defaults: InvokeOptions = {},
  ) {}

  async predict(request: SerializedRequest, options: InvokeOptions = {}): Promise<InvokeResult> {
    return this.target.invoke(this.endpointName, request.body, { ...this.defaults, contentType: request.contentType, ...options });
  }

  /**
   * Scores a sequence of frames and returns the JSON response, checked against api.md's schema
   * (a body that is not one throws the schema's error, naming the first bad field).
   */
  async scoreFrames(frames: FrameInput[], options: InvokeOptions = {}): Promise<VadResponse> {
    return InvocationResponseSchema.parse(deserializers.json(await this.predict(serializers.frames(frames), { accept: 'application/json', ...options })));
  }

  /** The annotated PNG of a single-result request (two frames). */
  async annotate(frames: [FrameInput, FrameInput], options: InvokeOptions = {}): Promise<Uint8Array> {
    return (await this.predict(serializers.frames(frames), { accept: 'image/png', ...options })).body;
  }
}
