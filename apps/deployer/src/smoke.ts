import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { VadError, frameFileNames, type InvocationResponse } from '@vad/contracts';
import { Predictor, SageMakerClientError, type EndpointTarget } from '@vad/sagemaker-client';

/**
 * Step `smoke-test` (and the `invoke` command): send a folder of frames as one sequence
 * (`{"frames": […]}`, api.md), read the per-frame scores, then ask for the most anomalous frame
 * as an annotated PNG (`Accept: image/png` needs a single-result request: one two-frame clip).
 */
export interface ClipFrames {
  readonly dir: string;
  readonly files: string[];
  readonly bytes: Uint8Array[];
}

/** The frames of `dir` (default: vad-core's bundled sample clip, loaded only then). */
export async function readClip(folder?: string): Promise<ClipFrames> {
  const dir = folder ?? (await import('@vad/core')).sampleClipDir();
  let names: string[];
  try {
    // the contracts' frame order (frame_2 before frame_10), as `vad-core score` reads a folder
    names = frameFileNames(await readdir(dir));
  } catch {
    throw new VadError('file_not_found', `${dir} is not a folder of frames`, { file: dir });
  }
  if (names.length < 2) throw new VadError('needs_clip', `${dir} has ${names.length} frame(s); scoring needs at least two (each frame is scored against the one before it)`);
  const bytes = await Promise.all(names.map((n) => readFile(join(dir, n))));
  return { dir, files: names, bytes };
}

export interface SmokeResult {
  readonly response: InvocationResponse;
  readonly scores: { frame: number; file: string; score: number; regions: number }[];
  readonly worst: { frame: number; file: string; score: number };
  readonly png?: string;
  readonly latencyMs: number;
}

export async function invokeClip(target: EndpointTarget, endpointName: string, clip: ClipFrames, png?: string): Promise<SmokeResult> {
  const predictor = new Predictor(target, endpointName);
  const t0 = Date.now();
  let response: InvocationResponse;
  try {
    response = await predictor.scoreFrames(clip.bytes);
  } catch (e) {
    if (e instanceof SageMakerClientError) throw e;
    throw new VadError('deploy_failed', `endpoint ${endpointName} answered something that is not an api.md response: ${(e as Error).message.split('\n')[0]}`);
  }
  const latencyMs = Date.now() - t0;
  const scores = response.results.map((r) => ({ frame: r.frame, file: clip.files[r.frame] ?? String(r.frame), score: r.score, regions: r.regions.length }));
  const worst = scores.reduce((a, b) => (b.score > a.score ? b : a), scores[0]!);
  let pngPath: string | undefined;
  if (png) {
    const i = worst.frame;
    const image = await predictor.annotate([clip.bytes[i - 1]!, clip.bytes[i]!]);
    await mkdir(dirname(png), { recursive: true });
    await writeFile(png, image);
    pngPath = png;
  }
  return { response, scores, worst, png: pngPath, latencyMs };
}

export function renderScores(r: SmokeResult): string {
  const max = Math.max(1e-9, ...r.scores.map((s) => s.score));
  const lines = [`model ${r.response.model.name} (sha256 ${r.response.model.sha256.slice(0, 12)}…), ${r.scores.length} frames scored in ${r.latencyMs} ms`];
  lines.push('frame  file              score    regions');
  for (const s of r.scores) {
    const bar = '█'.repeat(Math.round((s.score / max) * 30));
    lines.push(`${String(s.frame).padStart(5)}  ${s.file.padEnd(16)} ${s.score.toFixed(4).padStart(8)}  ${String(s.regions).padStart(3)}  ${bar}`);
  }
  lines.push(`most anomalous: frame ${r.worst.frame} (${r.worst.file}) score ${r.worst.score.toFixed(4)}`);
  if (r.png) lines.push(`annotated frame: ${r.png}`);
  return lines.join('\n');
}
