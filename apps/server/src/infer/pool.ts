import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Piscina } from 'piscina';
import { VadError } from '@vad/contracts';
import type { Inference, InferResult, InferTask, ModelInfo, Readiness, TaskOutput, WorkerConfig, WorkerStatus } from './types';
import { settle } from './wire-error';

export interface PoolOptions {
  workers: number;
  queuePerWorker: number;
  workerData: WorkerConfig;
  /** The worker module; defaults to the bundled worker.js beside main.js, or worker.ts from sources. */
  filename?: string;
  onStatus?: (s: WorkerStatus) => void;
  /** Leave the threads unstarted until start() (the server starts them once it is listening). */
  deferStart?: boolean;
  /**
   * Refuse (429) a task whose expected wait — tasks ahead of it × the recent mean run time ÷
   * workers — exceeds this: a count alone cannot tell a 15 ms default model from an 11 s one, and
   * a task that would wait past the deadline only burns a worker to answer 504.
   */
  maxWaitMs?: number;
}

/** Where the worker lives: beside the bundle (dist/apps/server/worker.js), or the TS source. */
export function defaultWorkerFile(): string {
  const bundled = join(__dirname, 'worker.js');
  if (existsSync(bundled)) return bundled;
  const nested = join(__dirname, 'infer', 'worker.js');
  if (existsSync(nested)) return nested;
  return join(__dirname, 'worker.ts');
}

/**
 * Inference off the event loop: VAD_WORKERS worker threads, each loading its own model (its own
 * ONNX sessions), and a bounded queue. The main thread learns readiness from the workers' status
 * messages, so /ping never waits on a busy worker.
 */
export class WorkerPool implements Inference {
  readonly workers: number;
  private piscina: Piscina | undefined;
  private readonly opts: PoolOptions;
  private readonly maxQueue: number;
  private readonly ready = new Set<number>();
  private everReady = false;
  private failure: string | undefined;
  private model: ModelInfo | undefined;
  private closed = false;

  constructor(opts: PoolOptions) {
    this.opts = opts;
    this.workers = opts.workers;
    this.maxQueue = opts.workers * opts.queuePerWorker;
    if (!opts.deferStart) this.start();
  }

  /** Spawns the worker threads, which load, verify and warm the model in the background. */
  start(): void {
    if (this.piscina || this.closed) return;
    const opts = this.opts;
    let filename = resolve(opts.filename ?? defaultWorkerFile());
    const workerData: WorkerConfig = { ...opts.workerData };
    if (filename.endsWith('.ts')) {
      workerData.tsEntry = filename;
      filename = join(__dirname, 'ts-entry.js');
    }
    const piscina = new Piscina({
      filename,
      minThreads: opts.workers,
      maxThreads: opts.workers,
      // Workers hold a loaded model: never let them idle out.
      idleTimeout: Number.POSITIVE_INFINITY,
      maxQueue: this.maxQueue,
      concurrentTasksPerWorker: 1,
      // Atomics.wait would block the worker's event loop between tasks, and the model loads
      // asynchronously in the background before the first task arrives.
      atomics: 'disabled',
      workerData,
    });
    this.piscina = piscina;
    piscina.on('message', (m: unknown) => {
      if (typeof m !== 'object' || m === null || !('vadWorker' in m)) return;
      const s = m as WorkerStatus;
      if (s.vadWorker === 'ready') {
        this.ready.add(s.threadId);
        this.model ??= s.model;
        if (this.ready.size >= this.workers) this.everReady = true;
      } else {
        this.failure = `${s.code}: ${s.message}`;
      }
      opts.onStatus?.(s);
    });
    piscina.on('workerDestroy', (w: { id: number }) => {
      this.ready.delete(w.id);
    });
    piscina.on('error', () => {
      /* a worker crashed outside a task; piscina replaces it and it reports its own status */
    });
  }

  readiness(): Readiness {
    if (this.closed) return { state: 'loading', reason: 'shutting down' };
    if (this.failure) return { state: 'failed', reason: `model failed to load: ${this.failure}` };
    // At start-up every worker must have loaded, verified and warmed its model; afterwards a
    // replaced worker reloading in the background does not take the instance out of service.
    const needed = this.everReady ? 1 : this.workers;
    if (this.ready.size >= needed && this.model) return { state: 'ready', model: this.model };
    return { state: 'loading', reason: `model loading: ${this.ready.size}/${this.workers} workers ready` };
  }

  hasCapacity(): boolean {
    if (this.running < this.workers) return true;
    return this.waiting.length < this.maxQueue && this.expectedWaitMs(this.waiting.length + 1) <= (this.opts.maxWaitMs ?? Infinity);
  }

  /** Mean run time of recent tasks (exponentially weighted); undefined until one has run. */
  private meanRunMs: number | undefined;

  /** How long the task that would be `position`-th in line waits, from recent run times. */
  expectedWaitMs(position: number): number {
    return this.meanRunMs === undefined ? 0 : (position * this.meanRunMs) / this.workers;
  }

  queueDepth(): number {
    return this.waiting.length;
  }

  busyWorkers(): number {
    return this.running;
  }

  /**
   * Our own FIFO in front of piscina: piscina only ever gets a task when a worker is free, so its
   * internal queue stays empty. Under sustained load piscina 5's queue re-pushes shifted tasks to
   * its tail (piscinajs/piscina#1031), which left a few requests waiting past the 55 s deadline
   * while later ones were served; a plain array keeps strict arrival order, and lets a task whose
   * client has gone be dropped without a worker ever seeing it.
   */
  private readonly waiting: Array<{ task: InferTask; resolve: (o: InferResult) => void; reject: (e: unknown) => void }> = [];
  private running = 0;

  async run(task: InferTask): Promise<InferResult> {
    if (this.closed) throw new VadError('model_not_ready', 'the server is shutting down');
    if (!this.piscina) throw new VadError('model_not_ready', 'the inference workers have not been started');
    if (this.running < this.workers) return this.dispatch(task);
    if (!this.hasCapacity()) {
      const waitMs = Math.round(this.expectedWaitMs(this.waiting.length + 1));
      throw new VadError(
        'overloaded',
        `all ${this.workers} workers are busy and ${this.waiting.length} requests are waiting (expected wait ${waitMs} ms); retry with backoff`,
        { workers: this.workers, queue: this.maxQueue, waiting: this.waiting.length, expectedWaitMs: waitMs },
      );
    }
    return new Promise<InferResult>((resolve, reject) => this.waiting.push({ task, resolve, reject }));
  }

  /** Runs one task on a free worker; its failure comes back as a VadError, made here once. */
  private async dispatch(task: InferTask): Promise<InferResult> {
    this.running++;
    const started = performance.now();
    try {
      const out = (await this.piscina!.run(task)) as TaskOutput;
      if (out.ok) {
        const ms = performance.now() - started;
        this.meanRunMs = this.meanRunMs === undefined ? ms : 0.8 * this.meanRunMs + 0.2 * ms;
      }
      return settle(out);
    } finally {
      this.running--;
      this.next();
    }
  }

  /** Hands the oldest waiting task whose client still waits to the worker that just came free. */
  private next(): void {
    while (this.running < this.workers && this.waiting.length > 0) {
      const w = this.waiting.shift()!;
      if (w.task.abandoned && Atomics.load(w.task.abandoned, 0) === 1) {
        w.reject(new VadError('deadline_exceeded', 'dropped unrun: nobody waits for the answer any more'));
        continue;
      }
      this.dispatch(w.task).then(w.resolve, w.reject);
    }
    if (this.running === 0 && this.waiting.length === 0) this.onIdle?.();
  }

  /** Set by close(): called once nothing runs or waits any more. */
  private onIdle: (() => void) | undefined;

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    // Requests still waiting for a worker are drained, not dropped: they run before the workers stop.
    if (this.running > 0 || this.waiting.length > 0) await new Promise<void>((resolve) => (this.onIdle = resolve));
    if (!this.piscina) return;
    await this.piscina.close({ force: false });
    await this.piscina.destroy();
  }
}
