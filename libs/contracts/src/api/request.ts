import { z } from 'zod';

/** api.md, "POST /invocations — requests". */
export const S3_URI = /^s3:\/\/([a-z0-9][a-z0-9.-]{1,61}[a-z0-9])\/(.+)$/;

/** A frame: `{"b64": …}`, `{"s3": "s3://…"}`, or a string that is an s3:// URI or base64. */
export const FrameRefSchema = z.union([
  z.string().min(1),
  z.object({ b64: z.string().min(1) }).strict(),
  z.object({ s3: z.string().regex(S3_URI, 'an s3://bucket/key URI') }).strict(),
]);
export type FrameRef = z.infer<typeof FrameRefSchema>;

export const FramesRequestSchema = z.object({ frames: z.array(FrameRefSchema).min(1) }).strict();
export const ClipsRequestSchema = z.object({ clips: z.array(z.array(FrameRefSchema).min(2)).min(1) }).strict();
/** The original tutorial's body: `clip: true` is one clip (first, last), `false` a sequence. */
export const ImagesRequestSchema = z.object({ images: z.array(FrameRefSchema).min(1), clip: z.boolean().default(true) }).strict();

export const JsonInvocationSchema = z.union([FramesRequestSchema, ClipsRequestSchema, ImagesRequestSchema]);
export type JsonInvocation = z.infer<typeof JsonInvocationSchema>;

export type ResolvedFrameRef = { kind: 'b64'; data: string } | { kind: 's3'; uri: string };

/** Turns the three spellings of a frame into one tagged form. */
export function resolveFrameRef(ref: FrameRef): ResolvedFrameRef {
  if (typeof ref === 'string') return S3_URI.test(ref) ? { kind: 's3', uri: ref } : { kind: 'b64', data: ref };
  if ('s3' in ref) return { kind: 's3', uri: ref.s3 };
  return { kind: 'b64', data: ref.b64 };
}

export const IMAGE_MEDIA_TYPES = ['image/jpeg', 'image/png', 'image/webp', 'application/x-image', 'image/x-image'] as const;
export const VIDEO_MEDIA_TYPES = ['video/mp4', 'video/webm', 'video/x-msvideo'] as const;
export const RESPONSE_MEDIA_TYPES = ['application/json', 'image/png', 'image/jpeg'] as const;

/** SageMaker's header names (stateful sessions, custom attributes, inference id). */
export const SAGEMAKER_HEADERS = {
  customAttributes: 'x-amzn-sagemaker-custom-attributes',
  inferenceId: 'x-amzn-sagemaker-inference-id',
  sessionId: 'x-amzn-sagemaker-session-id',
  newSessionId: 'x-amzn-sagemaker-new-session-id',
  closedSessionId: 'x-amzn-sagemaker-closed-session-id',
} as const;
