import type { InvocationResponse, RegionResult } from '@vad/contracts';
import type { ClipScore } from '@vad/core';
import type { ModelInfo } from '../infer/types';

type Box = [number, number, number, number];

/** Working-space box → the frame as sent (`imageSize` is [H, W], `originalSize` [H, W]). */
export function scaleBox(box: readonly number[], imageSize: readonly [number, number], originalSize: readonly [number, number]): Box {
  const sx = originalSize[1] / imageSize[1];
  const sy = originalSize[0] / imageSize[0];
  return [box[0]! * sx, box[1]! * sy, box[2]! * sx, box[3]! * sy];
}

const round = (x: number, digits = 4): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

/**
 * api.md's JSON response. `resultFrames[i]` is the index (in the request) of the frame result i
 * scored, `originalSizes[i]` that frame's size as sent. `pred_boxes`/`box_scores`/`pred_scores`
 * keep the original tutorial's keys: integer working-space boxes (truncated, as torch's `.int()`),
 * region scores, frame scores.
 */
export function invocationJson(
  model: ModelInfo,
  clips: ClipScore[],
  resultFrames: number[],
  originalSizes: Array<readonly [number, number]>,
  timingsMs: Record<string, number>,
): InvocationResponse {
  const imageSize = model.imageSize;
  const results = clips.map((clip, i) => ({
    frame: resultFrames[i]!,
    score: clip.score,
    ...(model.threshold !== undefined ? { overThreshold: clip.score > model.threshold } : {}),
    regions: clip.regions.map((r): RegionResult => {
      const region: RegionResult = {
        box: [...r.box] as Box,
        boxOriginal: scaleBox(r.box, imageSize, originalSizes[i]!).map((v) => round(v)) as Box,
        source: r.source,
        label: r.label,
        confidence: r.confidence,
        score: r.score,
        attributes: { ...r.attributes },
      };
      if (r.velocityBins) region.velocityBins = [...r.velocityBins];
      if (r.matchedSpeed !== undefined) region.matchedSpeed = r.matchedSpeed;
      return region;
    }),
  }));
  return {
    model: { name: model.name, sha256: model.sha256 },
    imageSize: [imageSize[0], imageSize[1]],
    results,
    pred_boxes: clips.map((c) => c.regions.map((r) => r.box.map((v) => Math.trunc(v)) as Box)),
    box_scores: clips.map((c) => c.regions.map((r) => r.score)),
    pred_scores: clips.map((c) => c.score),
    timingsMs: Object.fromEntries(Object.entries(timingsMs).map(([k, v]) => [k, round(v, 3)])),
  };
}
