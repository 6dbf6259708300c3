import { performance } from 'node:perf_hooks';
import { VadError, asVadError } from '@vad/contracts';
import type { ClipScore, PreparedFrame, VadModel } from '@vad/core';
import { renderScoredFrame } from '../outputs/png';
import type { InferTask, TaskOutput } from './types';
import { toWireError } from './wire-error';

/**
 * What a task needs from vad-core; injected so the task logic is testable without a real model.
 * Frame sizes are the model's to check (scoreClip and scoreSequence refuse mixed sizes with
 * frame_size_mismatch), so the task does not check them a second time.
 */
export interface TaskDeps {
  model: Pick<VadModel, 'imageSize' | 'enabled' | 'scoreClip' | 'scoreSequence'>;
  prepareFrame(bytes: Uint8Array, imageSize: [number, number], opts?: { maxPixels?: number }): Promise<PreparedFrame>;
  maxPixels: number;
}

function checkDeadline(task: InferTask): void {
  if (task.abandoned && Atomics.load(task.abandoned, 0) !== 0) {
    throw new VadError('deadline_exceeded', 'abandoned: the client went away or the deadline already answered; nothing waits for this result');
  }
  if (Date.now() > task.deadline) {
    throw new VadError(
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
      // Not a boundary: the failure gains the frame it came from (an uncoded decode error is bad_image).
      const c = asVadError(e, 'bad_image');
      throw new VadError(c.code, `frame ${i}: ${c.message}`, { ...c.details, frame: i }, { cause: e });
    }
  }
  return out;
}

function addTimings(into: Record<string, number>, from: Record<string, number>): void {
  for (const [k, v] of Object.entries(from)) into[k] = (into[k] ?? 0) + v;
}

/** ②–④ for one request: decode the frames, score, optionally draw. Never throws: errors travel as data. */
export async function runInferTask(task: InferTask, deps: TaskDeps): Promise<TaskOutput> {
  try {
    const timingsMs: Record<string, number> = { queue: Math.max(0, Date.now() - task.submittedAt) };
    checkDeadline(task);
    const t0 = performance.now();
    const frames = await decode(task, deps);
    timingsMs.decode = performance.now() - t0;

    let clips: ClipScore[];
    if (task.mode === 'sequence') {
      checkDeadline(task);
      clips = frames.length < 2 ? [] : await deps.model.scoreSequence(frames);
    } else {
      clips = [];
      for (const [a, b] of task.pairs ?? []) {
        checkDeadline(task);
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
    return { ok: false, error: toWireError(e) };
  }
}
