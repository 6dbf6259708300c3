#!/usr/bin/env node
import { readFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { Command } from 'commander';
import { parse as parseYaml } from 'yaml';
import { runCli } from '@vad/contracts';
import { VadError } from '../errors';
import { attributesForStages, fitModel, parseConfig } from '../fit';
import { builtinStageDefaults } from '../fit-report';
import { BUILTIN_REGIONS_NAME, DEFAULT_MOTION_REGION_PARAMS } from '../regions/motion-regions';
import { defaultModelDir, sampleClipDir } from '../model/default-model';
import { loadModel } from '../pipeline';
import { auroc } from '../testing/metrics';
import { folderVideo, listVideoFolders } from './frame-folder';

/** The frame labels of a clip folder's labels.json (tools/default-model writes one), if any. */
async function readLabels(dir: string): Promise<number[] | undefined> {
  try {
    const doc = JSON.parse(await readFile(join(dir, 'labels.json'), 'utf8')) as { labels?: unknown };
    return Array.isArray(doc.labels) && doc.labels.every((l) => l === 0 || l === 1) ? (doc.labels as number[]) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * vad-core's command line: `fit` a model directory from folders of normal frames, `score` a folder
 * of frames, `demo` the embedded default model on the bundled sample clip. Bad input ends with a
 * non-zero exit and one readable line.
 */
async function readConfig(path: string | undefined): Promise<unknown> {
  if (!path) return {};
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (e) {
    throw new VadError('file_not_found', `cannot read the config ${path}: ${(e as Error).message}`);
  }
  try {
    return parseYaml(text) ?? {};
  } catch (e) {
    throw new VadError('config_invalid', `${path} is not valid YAML: ${(e as Error).message}`);
  }
}

function round(x: number, digits = 4): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

async function scoreFolder(modelDir: string, framesDir: string, opts: { provider?: string; threads?: string }) {
  const model = await loadModel(modelDir, { executionProvider: (opts.provider ?? 'cpu') as 'cpu', threads: Number(opts.threads ?? 1) });
  try {
    const video = await folderVideo(framesDir, model.imageSize);
    if (video.frameCount < 2)
      throw new VadError('needs_clip', `${framesDir} has one frame: scoring needs at least two (each frame is scored against the one before it)`);
    const results = [];
    let previous = await video.frame(0);
    for (let i = 1; i < video.frameCount; i++) {
      const current = await video.frame(i);
      const r = await model.scoreClip(previous, current);
      results.push({
        frame: i,
        file: basename(video.files[i]),
        score: round(r.score),
        regions: r.regions.map((g) => ({
          box: g.box.map((v) => round(v, 2)),
          source: g.source,
          score: round(g.score),
          attributes: Object.fromEntries(Object.entries(g.attributes).map(([k, v]) => [k, round(v as number)])),
          ...(g.velocityBins ? { velocityBins: g.velocityBins.map((v) => round(v, 3)) } : {}),
        })),
        timingsMs: Object.fromEntries(Object.entries(r.timingsMs).map(([k, v]) => [k, round(v, 2)])),
      });
      previous = current;
    }
    return { model: { name: model.name, sha256: model.sha256, dir: modelDir }, imageSize: model.imageSize, frames: framesDir, results };
  } finally {
    await model.close();
  }
}

async function run(argv: string[]): Promise<void> {
  const program = new Command('vad-core').description('AI-VAD in TypeScript: fit and score video anomaly detection models').exitOverride().showHelpAfterError();

  program
    .command('fit')
    .description('fit a model directory from folders of normal frames (one folder per video, frames in name order)')
    .option('--videos <dir>', 'a folder whose sub-folders are the normal videos')
    .option('--video <dir...>', 'one or more folders of frames, each one normal video')
    .requiredOption('--out <dir>', 'model directory to write')
    .option('--config <config.yaml>', "anomalib-style config (dataset:, model:); defaults to anomalib's")
    .option('--name <name>', 'model name (default: the output folder name)')
    .option('--regions <regions.onnx>', `object detector network; absent: the built-in regions (${BUILTIN_REGIONS_NAME})`)
    .option('--anomalib-foreground', "without --regions: anomalib's own foreground boxes instead of the built-in regions")
    .option('--flow <flow.onnx>', 'optical flow network; absent: the built-in flow')
    .option('--pose <pose.onnx>', 'keypoint network (when use_pose_features)')
    .option('--appearance <appearance.onnx>', 'appearance network (when use_deep_features)')
    .option('--seed <n>', 'GMM seed', '0')
    .option('--overwrite', 'replace an existing output directory')
    .option('--provider <cpu|cuda|auto>', 'ONNX execution provider', 'cpu')
    .action(async (o) => {
      const dirs: string[] = [...(o.videos ? await listVideoFolders(o.videos) : []), ...(o.video ?? [])];
      if (dirs.length === 0) throw new VadError('bad_argument', 'give the normal videos with --videos <dir> (sub-folders) or --video <dir> …');
      const stages = {
        regions: o.regions,
        flow: o.flow,
        pose: o.pose,
        appearance: o.appearance,
        builtinRegions: o.regions || o.anomalibForeground ? (false as const) : { ...DEFAULT_MOTION_REGION_PARAMS },
      };
      const withAttributes = attributesForStages(await readConfig(o.config), stages);
      const off = withAttributes.off;
      // Density settings the config leaves out take the built-in stages' defaults (fit-report.ts).
      const { config, chosen } = builtinStageDefaults(withAttributes.config, o.flow === undefined);
      const imageSize = parseConfig(config).dataset.image_size;

      const videos = await Promise.all(dirs.map((d) => folderVideo(d, imageSize)));
      const t0 = Date.now();
      const result = await fitModel({
        config,
        videos,
        stages,
        name: o.name ?? basename(o.out),
        outDir: o.out,
        overwrite: !!o.overwrite,
        seed: Number(o.seed),
        executionProvider: o.provider,
        onProgress: (p) => {
          if (process.stderr.isTTY) process.stderr.write(`\r${p.video}: clip ${p.clip}/${p.clips} (${p.regions} regions)   `);
        },
      });
      if (process.stderr.isTTY) process.stderr.write('\n');
      if (off.length > 0) {
        // anomalib's default is every attribute on; say why these are not (after the fit, so a
        // failing fit still ends with exactly one line).
        console.error(
          `vad-core fit: ${off.join(' and ')} off (no ${off.map((a) => `--${a}`).join('/')} network given and the config does not enable ${off.length > 1 ? 'them' : 'it'})`,
        );
      }
      for (const w of result.warnings) console.error(`vad-core fit: warning: ${w}`);
      const model = parseConfig(config).model;
      const settings = {
        regions: stages.builtinRegions
          ? { builtin: BUILTIN_REGIONS_NAME, params: stages.builtinRegions }
          : o.regions
            ? { onnx: o.regions }
            : 'anomalib foreground',
        flow: o.flow ? { onnx: o.flow } : 'builtin',
        n_velocity_bins: model.n_velocity_bins,
        n_components_velocity: model.n_components_velocity,
        defaultsApplied: chosen,
      };
      console.log(
        JSON.stringify(
          {
            out: result.report.dir,
            clips: result.clips,
            rows: result.rows,
            attributes: result.report.attributes,
            settings,
            threshold: result.threshold,
            warnings: result.warnings,
            seconds: (Date.now() - t0) / 1000,
          },
          null,
          2,
        ),
      );
    });

  program
    .command('score')
    .description('score a folder of frames (each frame against the one before it) and print per-frame scores as JSON')
    .requiredOption('--frames <dir>', 'folder of frames in name order')
    .option('--model <dir>', 'model directory (default: the embedded default model)')
    .option('--out <file.json>', 'also write the JSON here')
    .option('--provider <cpu|cuda|auto>', 'ONNX execution provider', 'cpu')
    .option('--threads <n>', 'intra-op threads per ONNX session', '1')
    .action(async (o) => {
      const result = await scoreFolder(o.model ?? defaultModelDir(), o.frames, o);
      const json = JSON.stringify(result, null, 2);
      if (o.out) await writeFile(o.out, json + '\n');
      console.log(json);
    });

  program
    .command('demo')
    .description('score the bundled sample clip with the embedded default model')
    .option('--model <dir>', 'model directory', defaultModelDir())
    .option('--frames <dir>', 'folder of frames', sampleClipDir())
    .action(async (o) => {
      const result = await scoreFolder(o.model, o.frames, {});
      console.log(`model ${result.model.name} (${result.model.sha256.slice(0, 12)}), frames ${result.frames}`);
      console.log('frame  score   regions  top region (box, velocity part, mean speed per direction)');
      for (const r of result.results) {
        const top = [...r.regions].sort((a, b) => b.score - a.score)[0];
        const bar = '#'.repeat(Math.max(0, Math.min(40, Math.round(r.score * 10))));
        const detail = top ? `[${top.box.join(', ')}] v=${top.attributes['velocity'] ?? '-'} bins=[${(top.velocityBins ?? []).join(' ')}]` : '-';
        console.log(`${String(r.frame).padStart(5)}  ${r.score.toFixed(3).padStart(6)}  ${String(r.regions.length).padStart(7)}  ${detail} ${bar}`);
      }
      // With ground truth beside the frames, say how well the scores separate it (scored frames are 1…).
      const labels = await readLabels(o.frames);
      if (labels && labels.length === result.results.length + 1) {
        const scored = labels.slice(1);
        if (scored.includes(0) && scored.includes(1))
          console.log(
            `frame-level AUROC against ${o.frames}/labels.json: ${auroc(
              result.results.map((r) => r.score),
              scored,
            ).toFixed(3)}`,
          );
      }
    });

  await program.parseAsync(argv);
}

/** The CLI: parses `argv` (node, script, args…) and resolves to the process exit code. */
export function main(argv: string[]): Promise<number> {
  return runCli(() => run(argv), { name: 'vad-core' });
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
