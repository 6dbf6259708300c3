import { performance } from 'node:perf_hooks';
import type { ClipScore, PreparedFrame, VadModel } from '@vad/core';
import { HttpError, isCoded, type CodedError } from '../errors';
import { renderScoredFrame } from '../outputs/png';
import type { InferOutput, InferTask } from './types';

/** What a task needs from vad-core; injected so the task logic is testable without a real model. */
export interface TaskDeps {
  model: Pick<VadModel, 'imageSize' | 'enabled' | 'scoreClip' | 'scoreSequence'>;
  prepareFrame(bytes: Uint8Array, imageSize: [number, number], opts?: { maxPixels?: number }): Promise<PreparedFrame>;
  assertSameSize(frames: PreparedFrame[]): void;
  maxPixels: number;
}

export function plainError(e: unknown, fallback: CodedError['code'] = 'internal'): CodedError {
  if (isCoded(e)) return { code: e.code, message: e.message, details: e.details };
  return { code: fallback, message: e instanceof Error ? e.message : String(e) };
}

function checkDeadline(task: InferTask): void {
  if (task.abandoned && Atomics.load(task.abandoned, 0) !== 0) {
    throw new HttpError('deadline_exceeded', 'abandoned: the client went away or the deadline already answered; nothing waits for this result');
  }
  if (Date.now() > task.deadline) {
    throw new HttpError(
      'deadline_exceeded',
      'the request ran past its deadline (VAD_DEADLINE_MS); SageMaker cuts real-time invocations at 60 s: send fewer frames per request',
    );
  }
}

async function decode(task: InferTask, deps: TaskDeps): Promise<PreparedFrame[]> {
  const out: PreparedFrame[] = [];
  for (let i = 0; i < task.frames.length; i++) {
    checkDeadline(task);
    const bytes = task.frames[i]!;
    // vad-core's decode refuses a frame over VAD_MAX_PIXELS from its header, before any pixel.
    try {
      out.push(await deps.prepareFrame(bytes, deps.model.imageSize, { maxPixels: deps.maxPixels }));
    } catch (e) {
      const c = plainError(e, 'bad_image');
      throw new HttpError(c.code, `frame ${i}: ${c.message}`, { ...c.details, frame: i });
    }
  }
  return out;
}

function addTimings(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** ②–④ for one request: decode the frames, score, optionally draw. Never throws: errors travel as data. */
export async function runInferTask(task: InferTask, deps: TaskDeps): Promise<InferOutput> {
  try {
    const timingsMs: Record<string, number> = { queue: Math.max(0, Date.now() - task.submittedAt) };
    checkDeadline(task);
    const t0 = performance.now();
    const frames = await decode(task, deps);
    timingsMs.decode = performance.now() - t0;

    let clips: ClipScore[];
    if (task.mode === 'sequence') {
      deps.assertSameSize(frames);
      checkDeadline(task);
      clips = frames.length < 2 ? [] : await deps.model.scoreSequence(frames);
    } else {
      clips = [];
      for (const [a, b] of task.pairs ?? []) {
        checkDeadline(task);
        deps.assertSameSize([frames[a]!, frames[b]!]);
        clips.push(await deps.model.scoreClip(frames[a]!, frames[b]!));
      }
    }
    for (const c of clips) addTimings(timingsMs, c.timingsMs);
    const originalSizes = frames.map((f) => [f.originalSize[0], f.originalSize[1]] as [number, number]);

    let rendered: Uint8Array | undefined;
    if (task.render && clips.length === 1) {
      const t1 = performance.now();
      const last = task.mode === 'sequence' ? frames.length - 1 : task.pairs![0]![1];
      rendered = await renderScoredFrame(task.frames[last]!, clips[0]!, deps.model.imageSize, originalSizes[last]!, deps.model.enabled.length, task.render);
      timingsMs.render = performance.now() - t1;
    }
    return { ok: true, clips, originalSizes, timingsMs, rendered };
  } catch (e) {
    return { ok: false, error: plainError(e) };
  }
}
