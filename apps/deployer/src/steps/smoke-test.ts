import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { InvocationResponseSchema, type InvocationResponse } from '@vad/contracts';
import { sampleClipDir, VadError } from '@vad/core';
import type { EndpointTarget } from '@vad/sagemaker-client';

/**
 * Step `smoke-test` (and the `invoke` command): send a folder of frames as one sequence
 * (`{"frames": […]}`, api.md), read the per-frame scores, then ask for the most anomalous frame
 * as an annotated PNG (`Accept: image/png` needs a single-result request: one two-frame clip).
 */
export interface ClipFrames {
  readonly dir: string;
  readonly files: string[];
  readonly b64: string[];
}

const FRAME_FILE = /\.(jpe?g|png|webp)$/i;

export async function readClip(dir: string = sampleClipDir()): Promise<ClipFrames> {
  let names: string[];
  try {
    names = (await readdir(dir)).filter((n) => FRAME_FILE.test(n)).sort();
  } catch {
    throw new VadError('file_not_found', `${dir} is not a folder of frames`, { file: dir });
  }
  if (names.length < 2) throw new VadError('needs_clip', `${dir} has ${names.length} frame(s); scoring needs at least two (each frame is scored against the one before it)`);
  const b64 = await Promise.all(names.map(async (n) => (await readFile(join(dir, n))).toString('base64')));
  return { dir, files: names, b64 };
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export interface SmokeResult {
  readonly response: InvocationResponse;
  readonly scores: { frame: number; file: string; score: number; regions: number }[];
  readonly worst: { frame: number; file: string; score: number };
  readonly png?: string;
  readonly latencyMs: number;
}

export async function invokeClip(target: EndpointTarget, endpointName: string, clip: ClipFrames, png?: string): Promise<SmokeResult> {
  const t0 = Date.now();
  const res = await target.invoke(endpointName, JSON.stringify({ frames: clip.b64.map((b64) => ({ b64 })) }), { contentType: 'application/json', accept: 'application/json' });
  const latencyMs = Date.now() - t0;
  let response: InvocationResponse;
  try {
    response = InvocationResponseSchema.parse(JSON.parse(Buffer.from(res.body).toString('utf8')));
  } catch (e) {
    throw new VadError('deploy_failed', `endpoint ${endpointName} answered something that is not an api.md response: ${(e as Error).message.split('\n')[0]}`);
  }
  const scores = response.results.map((r) => ({ frame: r.frame, file: clip.files[r.frame] ?? String(r.frame), score: r.score, regions: r.regions.length }));
  const worst = scores.reduce((a, b) => (b.score > a.score ? b : a), scores[0]!);
  let pngPath: string | undefined;
  if (png) {
    const i = worst.frame;
    const image = await target.invoke(endpointName, JSON.stringify({ clips: [[{ b64: clip.b64[i - 1]! }, { b64: clip.b64[i]! }]] }), { contentType: 'application/json', accept: 'image/png' });
    // Only a PNG is saved as the annotated frame: an emulator's canned body or an error page is not one.
    const body = Buffer.from(image.body);
    if (!body.subarray(0, 8).equals(PNG_SIGNATURE)) {
      throw new VadError('deploy_failed', `endpoint ${endpointName} answered Accept: image/png with ${image.contentType ?? 'no content type'} (${body.length} bytes) that is not a PNG; nothing written to ${png}`);
    }
    await mkdir(dirname(png), { recursive: true });
    await writeFile(png, body);
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
