import sharp from 'sharp';
import { VadError } from '@vad/contracts';
import { assertSameSize, type ClipScore, type PreparedFrame } from '@vad/core';
import { runInferTask, type TaskDeps } from '../infer/run-task';
import type { Inference, InferResult, InferTask, ModelInfo, Readiness } from '../infer/types';
import { settle } from '../infer/wire-error';

/**
 * Test doubles for the inference side, used by unit specs only (e2e specs run the real model).
 * The fake model scores a clip by the mean absolute difference of its frames, with one region in
 * the middle of the working space, so responses have real shapes without ONNX.
 */
export const FAKE_MODEL: ModelInfo = {
  name: 'fake-model',
  sha256: 'f'.repeat(64),
  imageSize: [24, 36],
  enabled: ['velocity'],
  providers: { regions: 'none', flow: 'builtin', pose: 'none', appearance: 'none' },
  providerSummary: 'flow: builtin',
};

export async function fakePrepareFrame(bytes: Uint8Array, imageSize: [number, number]): Promise<PreparedFrame> {
  const img = sharp(bytes);
  const meta = await img.metadata();
  const { data } = await img.removeAlpha().resize(imageSize[1], imageSize[0], { fit: 'fill' }).raw().toBuffer({ resolveWithObject: true });
  const [h, w] = imageSize;
  const chw = new Float32Array(3 * h * w);
  for (let i = 0; i < h * w; i++) for (let c = 0; c < 3; c++) chw[c * h * w + i] = data[i * 3 + c]! / 255;
  return { image: { data: chw, shape: [3, h, w], dtype: 'float32' }, originalSize: [meta.height!, meta.width!] };
}

function fakeScore(a: PreparedFrame, b: PreparedFrame): ClipScore {
  let diff = 0;
  for (let i = 0; i < a.image.data.length; i++) diff += Math.abs(a.image.data[i]! - b.image.data[i]!);
  const score = (10 * diff) / a.image.data.length;
  const [h, w] = FAKE_MODEL.imageSize;
  return {
    score,
    regions: [
      {
        box: [w / 4, h / 4 + 0.5, (3 * w) / 4, (3 * h) / 4],
        source: 'foreground',
        label: 0,
        confidence: 0.5,
        score,
        attributes: { velocity: score },
        velocityBins: [score],
      },
    ],
    timingsMs: { flow: 1, regions: 1, features: 1, density: 1 },
  };
}

/** Checks frame sizes as the real model does (vad-core's own check), so specs still see frame_size_mismatch. */
export const fakeModel: TaskDeps['model'] = {
  imageSize: FAKE_MODEL.imageSize,
  enabled: ['velocity'],
  async scoreClip(first, last) {
    assertSameSize([first, last]);
    return fakeScore(first, last);
  },
  async scoreSequence(frames) {
    assertSameSize(frames);
    return frames.slice(1).map((f, i) => fakeScore(frames[i]!, f));
  },
};

/** An in-process Inference over runInferTask and the fake model, with a controllable readiness and delay. */
export class FakeInference implements Inference {
  readonly workers: number;
  state: Readiness = { state: 'ready', model: FAKE_MODEL };
  delayMs = 0;
  maxPending: number;
  pending = 0;
  closed = false;
  tasks: InferTask[] = [];

  private readonly model: TaskDeps['model'];

  /** `model` replaces the fake model (a spec's model that fails in a chosen way). */
  constructor(opts: { workers?: number; maxPending?: number; model?: TaskDeps['model'] } = {}) {
    this.workers = opts.workers ?? 1;
    this.maxPending = opts.maxPending ?? 100;
    this.model = opts.model ?? fakeModel;
  }

  readiness(): Readiness {
    return this.state;
  }
  hasCapacity(): boolean {
    return this.pending < this.maxPending;
  }
  queueDepth(): number {
    return Math.max(0, this.pending - this.workers);
  }
  busyWorkers(): number {
    return Math.min(this.pending, this.workers);
  }
  async run(task: InferTask): Promise<InferResult> {
    if (!this.hasCapacity()) throw new VadError('overloaded', 'fake queue full');
    this.pending++;
    this.tasks.push(task);
    try {
      if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
      // The same worker boundary as the pool: the task's output is settled into a result or a VadError.
      return settle(await runInferTask(task, { model: this.model, prepareFrame: fakePrepareFrame, maxPixels: 40_000_000 }));
    } finally {
      this.pending--;
    }
  }
  async close(): Promise<void> {
    this.closed = true;
  }
}
