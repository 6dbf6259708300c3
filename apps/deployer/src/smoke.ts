import { readdir, readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { VadError, frameFileNames, type InvocationResponse } from '@vad/contracts';
import { Predictor, SageMakerClientError, serializers, type EndpointTarget } from '@vad/sagemaker-client';
import { planClipRequests, type RequestLimits } from './clip-requests';

/**
 * Step `smoke-test` (and the `invoke` command): send a folder of frames as sequences
 * (`{"frames": […]}`, api.md) within the server's limits (clip-requests.ts), read the per-frame
 * scores, then ask for the most anomalous frame as an annotated PNG (`Accept: image/png` needs a
 * single-result request: two frames).
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
  if (names.length < 2)
    throw new VadError('needs_clip', `${dir} has ${names.length} frame(s); scoring needs at least two (each frame is scored against the one before it)`);
  const bytes = await Promise.all(names.map((n) => readFile(join(dir, n))));
  return { dir, files: names, bytes };
}

export interface SmokeResult {
  readonly response: InvocationResponse;
  readonly scores: { frame: number; file: string; score: number; regions: number }[];
  readonly worst: { frame: number; file: string; score: number };
  readonly png?: string;
  /** Why no annotated frame was written although one was asked for: what came back instead. */
  readonly pngRefused?: string;
  readonly latencyMs: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** `undefined` when `body` is a PNG; otherwise a short description of what it is instead. */
export function notAPng(body: Uint8Array, contentType: string | undefined): string | undefined {
  const bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  if (bytes.length >= PNG_SIGNATURE.length && bytes.subarray(0, PNG_SIGNATURE.length).equals(PNG_SIGNATURE)) return undefined;
  const head = bytes
    .subarray(0, 60)
    .toString('utf8')
    .replace(/[^\x20-\x7e]+/g, '.');
  return `the endpoint answered Accept: image/png with ${contentType ?? 'no content type'}, ${bytes.length} bytes that are not a PNG (start: ${JSON.stringify(head)})`;
}

export interface InvokeClipOptions {
  /** The server's request limits (defaults: the server's own defaults). */
  readonly limits?: RequestLimits;
  /** Called after each request: frames scored so far of the clip's total, and the request count. */
  readonly onProgress?: (scored: number, total: number, requests: number) => void;
}

async function scoreRequest(predictor: Predictor, frames: Uint8Array[]): Promise<InvocationResponse> {
  try {
    return await predictor.scoreFrames(frames);
  } catch (e) {
    if (e instanceof SageMakerClientError) throw e;
    throw new VadError(
      'deploy_failed',
      `endpoint ${predictor.endpointName} answered something that is not an api.md response: ${(e as Error).message.split('\n')[0]}`,
    );
  }
}

/** The requests' answers as one answer for the whole clip: frame indices are the clip's. */
function mergeResponses(parts: readonly { start: number; response: InvocationResponse }[]): InvocationResponse {
  const first = parts[0]!.response;
  const timingsMs: Record<string, number> = {};
  for (const { response } of parts) for (const [k, v] of Object.entries(response.timingsMs)) timingsMs[k] = (timingsMs[k] ?? 0) + v;
  return {
    ...first,
    results: parts.flatMap(({ start, response }) => response.results.map((r) => ({ ...r, frame: r.frame + start }))),
    pred_boxes: parts.flatMap(({ response }) => response.pred_boxes),
    box_scores: parts.flatMap(({ response }) => response.box_scores),
    pred_scores: parts.flatMap(({ response }) => response.pred_scores),
    timingsMs,
  };
}

/** base64 length of n bytes: what a frame takes in a JSON request. */
const b64Length = (n: number) => Math.ceil(n / 3) * 4;

export async function invokeClip(
  target: EndpointTarget,
  endpointName: string,
  clip: ClipFrames,
  png?: string,
  options: InvokeClipOptions = {},
): Promise<SmokeResult> {
  const predictor = new Predictor(target, endpointName);
  const t0 = Date.now();
  const plan = planClipRequests(
    clip.bytes.map((b) => b64Length(b.byteLength)),
    options.limits,
  );
  const parts: { start: number; response: InvocationResponse }[] = [];
  for (const r of plan) {
    parts.push({ start: r.start, response: await scoreRequest(predictor, clip.bytes.slice(r.start, r.end + 1)) });
    options.onProgress?.(r.end, clip.bytes.length - 1, plan.length);
  }
  const response = mergeResponses(parts);
  const latencyMs = Date.now() - t0;
  const scores = response.results.map((r) => ({ frame: r.frame, file: clip.files[r.frame] ?? String(r.frame), score: r.score, regions: r.regions.length }));
  const worst = scores.reduce((a, b) => (b.score > a.score ? b : a), scores[0]!);
  let pngPath: string | undefined;
  let pngRefused: string | undefined;
  if (png) {
    const i = worst.frame;
    const image = await predictor.predict(serializers.frames([clip.bytes[i - 1]!, clip.bytes[i]!]), { accept: 'image/png' });
    // Whatever answered (a proxy, a stub endpoint, an error page) is not saved under a .png name.
    pngRefused = notAPng(image.body, image.contentType);
    if (pngRefused === undefined) {
      await mkdir(dirname(png), { recursive: true });
      await writeFile(png, image.body);
      pngPath = png;
    }
  }
  return { response, scores, worst, ...(pngPath ? { png: pngPath } : {}), ...(pngRefused ? { pngRefused } : {}), latencyMs };
}

export function renderScores(r: SmokeResult): string {
  const max = Math.max(1e-9, ...r.scores.map((s) => s.score));
  const lines = [
    `model ${r.response.model.name} (manifest sha256 ${r.response.model.sha256.slice(0, 12)}…), ${r.scores.length} frames scored in ${r.latencyMs} ms`,
  ];
  lines.push('frame  file              score    regions');
  for (const s of r.scores) {
    const bar = '█'.repeat(Math.round((s.score / max) * 30));
    lines.push(`${String(s.frame).padStart(5)}  ${s.file.padEnd(16)} ${s.score.toFixed(4).padStart(8)}  ${String(s.regions).padStart(3)}  ${bar}`);
  }
  lines.push(`most anomalous: frame ${r.worst.frame} (${r.worst.file}) score ${r.worst.score.toFixed(4)}`);
  if (r.png) lines.push(`annotated frame: ${r.png}`);
  if (r.pngRefused) lines.push(`annotated frame: not written — ${r.pngRefused}`);
  return lines.join('\n');
}
