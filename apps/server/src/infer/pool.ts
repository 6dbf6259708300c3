import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { Piscina } from 'piscina';
import { HttpError } from '../errors';
import type { Inference, InferOutput, InferTask, ModelInfo, Readiness, WorkerConfig, WorkerStatus } from './types';

export interface PoolOptions {
  workers: number;
  queuePerWorker: number;
  workerData: WorkerConfig;
  /** The worker module; defaults to the bundled worker.js beside main.js, or worker.ts from sources. */
  filename?: string;
  onStatus?: (s: WorkerStatus) => void;
  /** Leave the threads unstarted until start() (the server starts them once it is listening). */
  deferStart?: boolean;
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
    return this.queueDepth() < this.maxQueue || this.busyWorkers() < this.workers;
  }

  queueDepth(): number {
    return this.piscina?.queueSize ?? 0;
  }

  busyWorkers(): number {
    return Math.min(Math.max(0, this.inflight - this.queueDepth()), this.workers);
  }

  private inflight = 0;

  async run(task: InferTask): Promise<InferOutput> {
    if (this.closed) throw new HttpError('model_not_ready', 'the server is shutting down');
    if (!this.piscina) throw new HttpError('model_not_ready', 'the inference workers have not been started');
    const piscina = this.piscina;
    this.inflight++;
    try {
      return (await piscina.run(task)) as InferOutput;
    } catch (e) {
      if (e instanceof Error && /queue is at limit|No task queue available/.test(e.message)) {
        throw new HttpError('overloaded', `all ${this.workers} workers are busy and ${this.maxQueue} requests are waiting; retry with backoff`, {
          workers: this.workers,
          queue: this.maxQueue,
        });
      }
      throw e;
    } finally {
      this.inflight--;
    }
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (!this.piscina) return;
    await this.piscina.close({ force: false });
    await this.piscina.destroy();
  }
}
