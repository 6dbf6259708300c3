import { z } from 'zod';

const box = z.tuple([z.number(), z.number(), z.number(), z.number()]);

export const RegionResultSchema = z.object({
  /** xyxy in the model's working space (`imageSize`). */
  box,
  /** xyxy in the frame as sent. */
  boxOriginal: box,
  source: z.enum(['detector', 'foreground']),
  label: z.number().int(),
  confidence: z.number(),
  score: z.number(),
  /** Normalised score per enabled attribute; only enabled attributes appear. */
  attributes: z.object({ velocity: z.number().optional(), pose: z.number().optional(), appearance: z.number().optional() }),
  /** Mean flow magnitude per direction bin (velocity attribute enabled). */
  velocityBins: z.array(z.number()).optional(),
  /** Block-matched speed in px/frame (models fitted with the built-in regions' matched speed). */
  matchedSpeed: z.number().optional(),
});

export const FrameResultSchema = z.object({
  /** Index of the scored frame in the request (the clip's `last`). */
  frame: z.number().int().nonnegative(),
  score: z.number(),
  /** score > the model's threshold (manifest.threshold); absent when the model has none. */
  overThreshold: z.boolean().optional(),
  regions: z.array(RegionResultSchema),
});

export const TimingsSchema = z.record(z.string(), z.number());

export const InvocationResponseSchema = z.object({
  model: z.object({ name: z.string(), sha256: z.string() }),
  imageSize: z.tuple([z.number().int(), z.number().int()]),
  results: z.array(FrameResultSchema),
  pred_boxes: z.array(z.array(box)),
  box_scores: z.array(z.array(z.number())),
  pred_scores: z.array(z.number()),
  timingsMs: TimingsSchema,
});

export type RegionResult = z.infer<typeof RegionResultSchema>;
export type FrameResult = z.infer<typeof FrameResultSchema>;
export type InvocationResponse = z.infer<typeof InvocationResponseSchema>;

export const ExecutionParametersSchema = z.object({
  MaxConcurrentTransforms: z.number().int().positive(),
  BatchStrategy: z.enum(['MULTI_RECORD', 'SINGLE_RECORD']),
  MaxPayloadInMB: z.number().int().positive(),
});
export type ExecutionParameters = z.infer<typeof ExecutionParametersSchema>;
