/**
 * Frame-level AUROC, the metric AI-VAD papers report: the probability that a random anomalous
 * frame scores above a random normal one (Mann–Whitney U, ties count half).
 */
export function auroc(scores: ArrayLike<number>, labels: ArrayLike<number>): number {
  if (scores.length !== labels.length) throw new RangeError(`auroc: ${scores.length} scores for ${labels.length} labels`);
  const idx = Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b]);
  let positives = 0;
  let rankSum = 0;
  for (let i = 0; i < idx.length;) {
    let j = i;
    while (j + 1 < idx.length && scores[idx[j + 1]] === scores[idx[i]]) j++;
    const rank = (i + j) / 2 + 1; // average rank of a tie block
    for (let t = i; t <= j; t++)
      if (labels[idx[t]]) {
        positives++;
        rankSum += rank;
      }
    i = j + 1;
  }
  const negatives = scores.length - positives;
  if (positives === 0 || negatives === 0) throw new RangeError('auroc needs both normal and anomalous frames');
  return (rankSum - (positives * (positives + 1)) / 2) / (positives * negatives);
}
