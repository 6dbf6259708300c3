#!/usr/bin/env node
import { defaultModelDir, loadModel } from '@vad/core';
import { QUALITY_SCENES, auroc, generateScene, scoreScene } from '@vad/core/testing';

/**
 * bench:quality — frame-level AUROC of the embedded default model on held-out synthetic test
 * scenes (seeds never used for fitting) with runners, cyclists and carts. Goal: ≥ 0.95.
 */
async function main(): Promise<void> {
  const model = await loadModel(process.argv[2] ?? defaultModelDir());
  const allScores: number[] = [];
  const allLabels: number[] = [];
  console.log(`model ${model.name} ${model.sha256.slice(0, 12)}`);
  try {
    for (const { seed, frames } of QUALITY_SCENES) {
      const scene = generateScene({ seed, frames, kind: 'test' });
      const { scores, labels } = await scoreScene(model, scene, `test-${seed}`);
      const anomalous = labels.filter(Boolean).length;
      console.log(`scene ${seed}: ${scores.length} frames, ${anomalous} anomalous, AUROC ${auroc(scores, labels).toFixed(4)}`);
      allScores.push(...scores);
      allLabels.push(...labels);
    }
  } finally {
    await model.close();
  }
  const a = auroc(allScores, allLabels);
  console.log(`frame-level AUROC over ${allScores.length} held-out frames: ${a.toFixed(4)} (goal >= 0.95: ${a >= 0.95 ? 'met' : 'NOT met'})`);
}

main().catch((e) => {
  console.error(`bench:quality: ${e.message}`);
  process.exitCode = 1;
});
