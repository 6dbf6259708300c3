import type { ClipScore } from '@vad/core';
import type { CodedError } from '../errors';

/** What the main thread hands a worker: encoded frames only; decoding is CPU, so it happens there. */
export interface InferTask {
  requestId: string;
  frames: Uint8Array[];
  /** `sequence`: N frames → N−1 clips (t−1, t). `clips`: one result per (first, last) index pair. */
  mode: 'sequence' | 'clips';
  pairs?: Array<[number, number]>;
  /** Epoch ms; the worker gives up between stages once it has passed. */
  deadline: number;
  /**
   * Shared with the main thread (a SharedArrayBuffer is not copied by postMessage): set to 1 when
   * nobody waits for the answer any more — the client hung up or the deadline answered 504 — so a
   * queued task is dropped unrun and a running one stops at the next stage boundary.
   */
  abandoned?: Int32Array;
  /** Epoch ms when the main thread queued it (the worker reports the wait as `queue`). */
  submittedAt: number;
  /** Draw the single result's regions on its frame. */
  render?: 'png' | 'jpeg';
}

/** A scored task, as the HTTP side gets it. */
export interface InferResult {
  ok: true;
  clips: ClipScore[];
  /** [height, width] of every frame as sent. */
  originalSizes: Array<[number, number]>;
  timingsMs: Record<string, number>;
  rendered?: Uint8Array;
}

/** What a worker thread answers: a failure is data (see wire-error.ts), never a thrown Error. */
export type TaskOutput = InferResult | { ok: false; error: CodedError };

export interface ModelInfo {
  name: string;
  sha256: string;
  imageSize: [number, number];
  enabled: string[];
  providers: Record<string, string>;
  /** Per ONNX file, the provider it got and why `auto` fell back ("regions.onnx: cpu (auto: CUDA unavailable: …)"). */
  providerSummary: string;
  /** The model's proposed frame-score threshold (manifest.threshold.value), when it has one. */
  threshold?: number;
}

/** Posted by each worker on its parentPort (piscina forwards it as a pool 'message' event). */
export type WorkerStatus =
  | { vadWorker: 'ready'; threadId: number; model: ModelInfo; loadMs: number; warmupMs: number }
  | { vadWorker: 'failed'; threadId: number; code: string; message: string };

/** The data every worker starts with. */
export interface WorkerConfig {
  modelDir?: string;
  executionProvider: 'auto' | 'cuda' | 'cpu';
  threads: number;
  maxPixels: number;
  /** Set by the pool when the worker entry is TypeScript (tests, `node -r ts-register`). */
  tsEntry?: string;
  /** Free-form options for test workers. */
  test?: Record<string, unknown>;
}

export type Readiness = { state: 'loading'; reason: string } | { state: 'ready'; model: ModelInfo } | { state: 'failed'; reason: string };

/** The inference side as the HTTP side sees it; a piscina pool in production, a fake in unit tests. */
export interface Inference {
  readonly workers: number;
  readiness(): Readiness;
  /** Rejects with a VadError: `overloaded` when the queue is full, or the task's own failure. */
  run(task: InferTask): Promise<InferResult>;
  /** Whether a new task would be queued rather than refused. */
  hasCapacity(): boolean;
  queueDepth(): number;
  busyWorkers(): number;
  close(): Promise<void>;
}
