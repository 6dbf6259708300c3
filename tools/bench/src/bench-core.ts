#!/usr/bin/env node
/**
 * bench:core — the default model's speed at 240×360 (a program that prints numbers, never a test):
 * per-stage ms/frame on one thread, then frames/s with one worker thread per core (each worker its
 * own model, as the server runs), then the density estimators (bench-density: kNN 1000 × 100 000 ×
 * 512, one query, GMM scoring). Goal: ≥ 200 frames/s across both cores (issue 9; 288 before the bit-identical regions/flow speed-ups, 402 after, idle machine) with ~5 regions per frame.
 *   nx run bench:core [-- --seconds 8 --workers 2 --skip-density]
 */
import { execFileSync } from 'node:child_process';
import { cpus } from 'node:os';
import { join } from 'node:path';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import sharp from 'sharp';
import { type PreparedFrame, defaultModelDir, loadModel, prepareFrame, prepareFrameFromRgb } from '@vad/core';
import { generateScene } from '@vad/core/testing';

const arg = (name: string, fallback: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : fallback;
};

const FRAMES = 60;
// Seven walkers in view: after the overlap filter that leaves ~5 regions per frame, the load.
const sceneFrames = () => generateScene({ seed: 4242, frames: FRAMES, kind: 'test', walkers: 7 });

async function preparedClipFrames(): Promise<PreparedFrame[]> {
  const scene = sceneFrames();
  return scene.frames.map((rgb) => prepareFrameFromRgb(rgb, scene.width, scene.height, [240, 360]));
}

/** Worker: score clips in a loop until the deadline, report how many. */
async function workerMain(): Promise<void> {
  const { seconds } = workerData as { seconds: number };
  const frames = await preparedClipFrames();
  const model = await loadModel(defaultModelDir());
  await model.warmup();
  parentPort!.postMessage({ ready: true });
  await new Promise<void>((resolve) => parentPort!.once('message', () => resolve()));
  const end = Date.now() + seconds * 1000;
  let clips = 0;
  for (let i = 1; Date.now() < end; i = (i % (FRAMES - 1)) + 1) {
    await model.scoreClip(frames[i - 1], frames[i]);
    clips++;
  }
  await model.close();
  parentPort!.postMessage({ clips, seconds });
}

async function singleThread(): Promise<void> {
  const scene = sceneFrames();
  const jpegs = await Promise.all(
    scene.frames.map((rgb) =>
      sharp(Buffer.from(rgb), { raw: { width: 360, height: 240, channels: 3 } })
        .jpeg({ quality: 90 })
        .toBuffer(),
    ),
  );
  // One untimed pass first: the first sharp calls and the JIT would otherwise dominate.
  for (const j of jpegs) await prepareFrame(j, [240, 360]);
  let t = performance.now();
  const frames: PreparedFrame[] = [];
  for (const j of jpegs) frames.push(await prepareFrame(j, [240, 360]));
  const decodeMs = (performance.now() - t) / jpegs.length;

  t = performance.now();
  const model = await loadModel(defaultModelDir());
  const loadMs = performance.now() - t;
  await model.warmup();
  const sums: Record<string, number> = {};
  let regions = 0;
  t = performance.now();
  const rounds = 3;
  for (let r = 0; r < rounds; r++)
    for (let i = 1; i < FRAMES; i++) {
      const s = await model.scoreClip(frames[i - 1], frames[i]);
      regions += s.regions.length;
      for (const [k, v] of Object.entries(s.timingsMs)) sums[k] = (sums[k] ?? 0) + v;
    }
  const n = rounds * (FRAMES - 1);
  const totalMs = (performance.now() - t) / n;
  await model.close();
  console.log(`default model ${defaultModelDir()}: load + verify ${loadMs.toFixed(0)} ms`);
  console.log(`one thread, 240x360, ${(regions / n).toFixed(1)} regions/frame on average over ${n} clips:`);
  console.log(`  decode+resize (JPEG 360x240 -> [3,240,360])  ${decodeMs.toFixed(2)} ms/frame`);
  for (const [k, v] of Object.entries(sums)) console.log(`  ${k.padEnd(44)} ${(v / n).toFixed(2)} ms/frame`);
  console.log(`  total scoreClip                              ${totalMs.toFixed(2)} ms/frame = ${(1000 / totalMs).toFixed(1)} frames/s`);
}

async function parallel(workers: number, seconds: number): Promise<void> {
  const pool = Array.from({ length: workers }, () => new Worker(__filename, { execArgv: process.execArgv, workerData: { seconds } }));
  await Promise.all(pool.map((w) => new Promise((resolve) => w.once('message', resolve))));
  const t = performance.now();
  const results = pool.map((w) => new Promise<{ clips: number }>((resolve) => w.once('message', resolve)));
  pool.forEach((w) => w.postMessage('go'));
  const done = await Promise.all(results);
  const wall = (performance.now() - t) / 1000;
  const clips = done.reduce((s, d) => s + d.clips, 0);
  console.log(`${workers} worker threads (one model each), ${seconds} s: ${clips} frames scored = ${(clips / wall).toFixed(1)} frames/s (goal >= 200)`);
}

async function main(): Promise<void> {
  console.log(`machine: ${cpus().length} x ${cpus()[0]?.model ?? '?'}, node ${process.version}`);
  await singleThread();
  await parallel(arg('workers', 2), arg('seconds', 8));
  if (!process.argv.includes('--skip-density')) {
    console.log('\ndensity estimators (bench-density):');
    execFileSync(process.execPath, [...process.execArgv, '--max-old-space-size=8192', join(__dirname, 'bench-density.ts')], { stdio: 'inherit' });
  }
}

if (isMainThread) {
  main().catch((e) => {
    console.error(`bench:core: ${e.message}`);
    process.exitCode = 1;
  });
} else {
  workerMain().catch((e) => {
    console.error(`bench:core worker: ${e.message}`);
    process.exit(1);
  });
}
