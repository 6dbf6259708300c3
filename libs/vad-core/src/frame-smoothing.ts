/**
 * Optional temporal smoothing of frame scores over a clip or session (off by default: anomalib
 * scores every frame on its own). Video anomaly detection evaluations commonly smooth frame scores
 * over time, because an object's region score jumps between neighbouring frames while the event it
 * shows lasts many. A centred moving mean over 2·radius + 1 frames, the window shortened at either
 * end of the sequence (never padded with invented scores).
 */
export function smoothFrameScores(scores: readonly number[], radius: number): number[] {
  if (!Number.isInteger(radius) || radius < 0) throw new RangeError(`smoothing radius must be a non-negative integer, got ${radius}`);
  if (radius === 0) return [...scores];
  const prefix = new Float64Array(scores.length + 1);
  for (let i = 0; i < scores.length; i++) prefix[i + 1] = prefix[i] + scores[i];
  return scores.map((_, i) => {
    const a = Math.max(0, i - radius);
    const b = Math.min(scores.length, i + radius + 1);
    return (prefix[b] - prefix[a]) / (b - a);
  });
}
