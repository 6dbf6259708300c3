#!/usr/bin/env node
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { generateScene } from '@vad/core/testing';
import { SAMPLE_CLIP, buildDefaultModel } from '@vad/core/testing';

const ROOT = resolve(__dirname, '../../..');

/** Writes the sample clip as JPEG frames plus labels.json (frame-level ground truth). */
async function writeSampleClip(dir: string): Promise<void> {
  const scene = generateScene({ seed: SAMPLE_CLIP.seed, frames: SAMPLE_CLIP.frames, kind: 'test' });
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  for (const [i, rgb] of scene.frames.entries()) {
    const jpeg = await sharp(Buffer.from(rgb), { raw: { width: scene.width, height: scene.height, channels: 3 } })
      .jpeg({ quality: 92, chromaSubsampling: '4:4:4' })
      .toBuffer();
    await writeFile(join(dir, `frame_${String(i).padStart(4, '0')}.jpg`), jpeg);
  }
  await writeFile(join(dir, 'labels.json'), JSON.stringify({ seed: scene.seed, labels: Array.from(scene.labels) }) + '\n');
}

async function main(): Promise<void> {
  const o = new Command('build-default-model')
    .description('fit the embedded default model on synthetic walkway scenes (deterministic) and write the sample clip')
    .option('--out <dir>', 'model directory', join(ROOT, 'libs/vad-core/assets/default-model'))
    .option('--sample-clip <dir>', 'sample clip folder', join(ROOT, 'libs/vad-core/assets/sample-clip'))
    .option('--no-sample-clip', 'skip the sample clip')
    .parse()
    .opts<{ out: string; sampleClip: string | false }>();
  const t0 = Date.now();
  const r = await buildDefaultModel(o.out);
  console.log(`default model: ${o.out} (${r.clips} clips, rows ${JSON.stringify(r.rows)}, ${(Date.now() - t0) / 1000}s)`);
  if (o.sampleClip) {
    await writeSampleClip(o.sampleClip);
    console.log(`sample clip: ${o.sampleClip}`);
  }
}

main().catch((e: Error & { code?: string }) => {
  console.error(`build-default-model: ${e.code ? e.code + ': ' : ''}${e.message}`);
  process.exitCode = 1;
});
