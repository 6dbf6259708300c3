#!/usr/bin/env node
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_MOTION_REGION_PARAMS,
  type FitVideo,
  type VadModel,
  attributesForStages,
  builtinStageDefaults,
  defaultModelDir,
  fitModel,
  loadBuiltinFlow,
  loadModel,
  motionRegions,
  prepareFrameFromRgb,
  smoothFrameScores,
} from '@vad/core';
import { auroc } from '@vad/core/testing';
import { plazaSet } from './quality/plaza-scene';
import type { LabelledVideo, QualitySet } from './quality/quality-set';
import { realFootageMissing, realFootageSets } from './quality/real-footage';
import { walkwaySet } from './quality/walkway-set';

/**
 * bench:quality — frame-level AUROC per footage set, for the embedded default model and for a
 * model fitted (as `vad-core fit` with no --config fits) on that set's own normal videos, each raw
 * and with frame scores smoothed over time (SMOOTH_RADIUS; off by default in the model). Sets: the
 * default model's generator, a second independently written generator, and real footage
 * (opencv-doc's vtest.avi, two protocols). Then the built-in stages' throughput. Goal ≥ 0.95 in
 * every row, both columns. Nothing here is tuned to a set: every set runs the same settings.
 *   nx run bench:quality [-- --model <dir>] [--sets walkway,plaza,vtest]
 * --sets keeps the sets whose name contains one of the comma-separated words (for exploring;
 * report the full table).
 */
const SMOOTH_RADIUS = 3;
const IMAGE: [number, number] = [240, 360];

function fitVideo(v: LabelledVideo): FitVideo {
  return { id: v.id, frameCount: v.frames.length, frame: async (i) => prepareFrameFromRgb(v.frames[i]!, v.width, v.height, IMAGE) };
}

/** Per test video: frame scores for frames 1… (each against the one before) and their labels. */
async function scoreVideos(model: VadModel, videos: readonly LabelledVideo[]): Promise<{ raw: number; smooth: number; overThreshold?: number }> {
  const raw: number[] = [];
  const smooth: number[] = [];
  const labels: number[] = [];
  for (const v of videos) {
    const s: number[] = [];
    let prev = prepareFrameFromRgb(v.frames[0]!, v.width, v.height, IMAGE);
    for (let i = 1; i < v.frames.length; i++) {
      const cur = prepareFrameFromRgb(v.frames[i]!, v.width, v.height, IMAGE);
      s.push((await model.scoreClip(prev, cur)).score);
      labels.push(v.labels[i]!);
      prev = cur;
    }
    raw.push(...s);
    smooth.push(...smoothFrameScores(s, SMOOTH_RADIUS));
  }
  const t = model.manifest.threshold?.value;
  const normalOver = t === undefined ? undefined : raw.filter((x, i) => !labels[i] && x > t).length / labels.filter((l) => !l).length;
  return { raw: auroc(raw, labels), smooth: auroc(smooth, labels), ...(normalOver !== undefined ? { overThreshold: normalOver } : {}) };
}

async function fitOn(set: QualitySet, dir: string): Promise<VadModel> {
  const stages = { builtinRegions: { ...DEFAULT_MOTION_REGION_PARAMS } };
  const { config } = builtinStageDefaults(attributesForStages({}, stages).config, true);
  const r = await fitModel({ config, videos: set.train.map(fitVideo), stages, name: 'bench', outDir: dir, overwrite: true });
  for (const w of r.warnings) console.log(`    fit warning: ${w}`);
  return loadModel(dir);
}

async function stageThroughput(): Promise<void> {
  const set = plazaSet();
  const v = set.test[0]!;
  const frames = v.frames.map((f) => prepareFrameFromRgb(f, v.width, v.height, IMAGE));
  const flow = await loadBuiltinFlow();
  const time = (f: (i: number) => void): number => {
    for (let i = 1; i < 10; i++) f(i);
    const t = performance.now();
    for (let i = 1; i < frames.length; i++) f(i);
    return (performance.now() - t) / (frames.length - 1);
  };
  const regionsMs = time((i) => motionRegions(frames[i - 1]!.image, frames[i]!.image, DEFAULT_MOTION_REGION_PARAMS));
  const flowMs = time((i) => flow.compute(frames[i - 1]!.image, frames[i]!.image));
  flow.release();
  console.log(
    `built-in stages, one thread, 240x360: regions ${regionsMs.toFixed(2)} ms/frame (${(1000 / regionsMs).toFixed(0)} frames/s), flow ${flowMs.toFixed(2)} ms/frame (${(1000 / flowMs).toFixed(0)} frames/s)`,
  );
}

async function main(): Promise<void> {
  const modelArg = process.argv.indexOf('--model');
  const setsArg = process.argv.indexOf('--sets');
  const only = setsArg > 0 ? (process.argv[setsArg + 1] ?? '').split(',').filter(Boolean) : undefined;
  const wanted = (name: string) => !only || only.some((w) => name.includes(w));
  const defaultModel = await loadModel(modelArg > 0 ? process.argv[modelArg + 1]! : defaultModelDir());
  console.log(
    `default model ${defaultModel.name} ${defaultModel.sha256.slice(0, 12)}; fitted = vad-core fit with no --config on the set's normal videos; smoothed = centred mean over ${2 * SMOOTH_RADIUS + 1} frames`,
  );
  const sets: (() => QualitySet[])[] = [];
  if (wanted('walkway')) sets.push(() => [walkwaySet()]);
  if (wanted('plaza')) sets.push(() => [plazaSet()]);
  const missing = realFootageMissing();
  if (missing) console.log(`real footage skipped: ${missing}`);
  else sets.push(() => realFootageSets().filter((s) => wanted(s.name)));
  const rows: string[] = [];
  const work = mkdtempSync(join(tmpdir(), 'bench-quality-'));
  try {
    for (const make of sets)
      for (const set of make()) {
        const d = await scoreVideos(defaultModel, set.test);
        const fitted = await fitOn(set, join(work, 'model'));
        const f = await scoreVideos(fitted, set.test);
        await fitted.close();
        const frames = set.test.reduce((n, v) => n + v.frames.length - 1, 0);
        const anomalous = set.test.reduce((n, v) => n + v.labels.slice(1).reduce((a, b) => a + b, 0), 0);
        const row = `| ${set.name} | ${frames} (${anomalous} anomalous) | ${d.raw.toFixed(3)} / ${d.smooth.toFixed(3)} | ${f.raw.toFixed(3)} / ${f.smooth.toFixed(3)} | ${((f.overThreshold ?? 0) * 100).toFixed(1)} % |`;
        console.log(row);
        rows.push(row);
      }
  } finally {
    await defaultModel.close();
    rmSync(work, { recursive: true, force: true });
  }
  console.log('\n| set | test frames | default model AUROC raw / smoothed | fitted AUROC raw / smoothed | normal test frames over the fitted threshold |');
  console.log('|---|---|---|---|---|');
  for (const r of rows) console.log(r);
  await stageThroughput();
}

main().catch((e) => {
  console.error(`bench:quality: ${e.message}`);
  process.exitCode = 1;
});
