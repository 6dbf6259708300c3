import { join } from 'node:path';
import { VadError } from '@vad/contracts';
import { request } from 'node:http';
import { buildApp } from '../app';
import { testConfig } from '../testing/config';
import { WorkerPool } from './pool';
import type { InferTask } from './types';

const TINY = join(__dirname, '../testing/tiny-worker.ts');
const task = (): InferTask => ({ requestId: 't', frames: [new Uint8Array(1)], mode: 'sequence', deadline: Date.now() + 60_000, submittedAt: Date.now() });

async function until(cond: () => boolean, ms = 20_000): Promise<void> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('WorkerPool (piscina) with a tiny worker', () => {
  it('is ready only once every worker reported ready', async () => {
    const pool = new WorkerPool({
      workers: 2,
      queuePerWorker: 1,
      filename: TINY,
      workerData: { executionProvider: 'cpu', threads: 1, maxPixels: 1, test: { loadMs: 300 } },
    });
    try {
      expect(pool.readiness()).toMatchObject({ state: 'loading' });
      await until(() => pool.readiness().state === 'ready');
      expect(pool.readiness()).toMatchObject({ state: 'ready', model: { name: 'fake-model' } });
    } finally {
      await pool.close();
    }
  });

  it('reports a load failure with its reason', async () => {
    const pool = new WorkerPool({
      workers: 1,
      queuePerWorker: 1,
      filename: TINY,
      workerData: { executionProvider: 'cpu', threads: 1, maxPixels: 1, test: { fail: true } },
    });
    try {
      await until(() => pool.readiness().state === 'failed');
      expect(pool.readiness()).toMatchObject({ state: 'failed', reason: expect.stringContaining('digest_mismatch') });
    } finally {
      await pool.close();
    }
  });

  it('serves waiting tasks in arrival order and drops abandoned ones without running them', async () => {
    const pool = new WorkerPool({
      workers: 1,
      queuePerWorker: 8,
      filename: TINY,
      workerData: { executionProvider: 'cpu', threads: 1, maxPixels: 1, test: { busyMs: 150 } },
    });
    try {
      await until(() => pool.readiness().state === 'ready');
      const order: number[] = [];
      const tasks = Array.from({ length: 6 }, () => ({ ...task(), abandoned: new Int32Array(new SharedArrayBuffer(4)) }));
      // A dropped task rejects with a VadError; keep it beside the results to compare.
      const runs = tasks.map((t, i) =>
        pool.run(t).then(
          (out) => (order.push(i), out),
          (e: unknown) => e as VadError,
        ),
      );
      expect(pool.queueDepth()).toBe(5);
      expect(pool.busyWorkers()).toBe(1);
      Atomics.store(tasks[3]!.abandoned, 0, 1); // its client hung up while it waited
      const outs = await Promise.all(runs);
      expect(outs[3]).toBeInstanceOf(VadError);
      expect(outs[3]).toMatchObject({ code: 'deadline_exceeded' });
      expect(outs.filter((o) => !(o instanceof VadError) && o.ok)).toHaveLength(5);
      expect(order.filter((i) => i !== 3)).toEqual([0, 1, 2, 4, 5]);
      expect(pool.queueDepth()).toBe(0);
      expect(pool.busyWorkers()).toBe(0);
    } finally {
      await pool.close();
    }
  });

  it('refuses a task whose expected wait, from measured run times, passes maxWaitMs, whatever room the queue has', async () => {
    const pool = new WorkerPool({
      workers: 1,
      queuePerWorker: 100,
      maxWaitMs: 700,
      filename: TINY,
      workerData: { executionProvider: 'cpu', threads: 1, maxPixels: 1, test: { busyMs: 300 } },
    });
    try {
      await until(() => pool.readiness().state === 'ready');
      await pool.run(task()); // ~300 ms: the pool now knows what a task costs
      const running = pool.run(task());
      const first = pool.run(task()); // expected wait ~300 ms
      const second = pool.run(task()); // ~600 ms
      expect(pool.expectedWaitMs(3)).toBeGreaterThan(700);
      await expect(pool.run(task())).rejects.toMatchObject({ code: 'overloaded', details: expect.objectContaining({ waiting: 2 }) });
      await expect(Promise.all([running, first, second])).resolves.toHaveLength(3);
    } finally {
      await pool.close();
    }
  });

  it('a task failure crosses the worker thread as data and rejects as a VadError with its code, message and details', async () => {
    const failTask = { code: 'onnx_runtime', message: 'flow.onnx failed: out of memory', details: { stage: 'flow', bytes: 123 } };
    const pool = new WorkerPool({
      workers: 1,
      queuePerWorker: 1,
      filename: TINY,
      workerData: { executionProvider: 'cpu', threads: 1, maxPixels: 1, test: { failTask } },
    });
    try {
      await until(() => pool.readiness().state === 'ready');
      const e = await pool.run(task()).then(
        () => undefined,
        (err: unknown) => err,
      );
      expect(e).toBeInstanceOf(VadError);
      expect(e).toMatchObject(failTask);
    } finally {
      await pool.close();
    }
  });

  it('answers overloaded when running + queued reach workers × (1 + VAD_QUEUE)', async () => {
    const pool = new WorkerPool({
      workers: 1,
      queuePerWorker: 1,
      filename: TINY,
      workerData: { executionProvider: 'cpu', threads: 1, maxPixels: 1, test: { busyMs: 400 } },
    });
    try {
      await until(() => pool.readiness().state === 'ready');
      const running = pool.run(task());
      const queued = pool.run(task());
      await expect(pool.run(task())).rejects.toMatchObject({ code: 'overloaded' });
      expect(pool.hasCapacity()).toBe(false);
      await expect(Promise.all([running, queued])).resolves.toHaveLength(2);
      expect(pool.hasCapacity()).toBe(true);
    } finally {
      await pool.close();
    }
  });

  it('/ping answers 200 over a real socket while the only worker is busy', async () => {
    const pool = new WorkerPool({
      workers: 1,
      queuePerWorker: 4,
      filename: TINY,
      workerData: { executionProvider: 'cpu', threads: 1, maxPixels: 1, test: { busyMs: 1500 } },
    });
    const app = await buildApp({ config: testConfig(), inference: pool });
    try {
      await app.listen({ port: 0, host: '127.0.0.1' });
      const port = (app.server.address() as { port: number }).port;
      await until(() => pool.readiness().state === 'ready');
      let busyDone = false;
      const busy = pool.run(task()).then(() => (busyDone = true));
      const status = await new Promise<number>((resolve, reject) => {
        request({ host: '127.0.0.1', port, path: '/ping' }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        })
          .on('error', reject)
          .end();
      });
      expect(status).toBe(200);
      expect(busyDone).toBe(false); // answered while the worker was still computing
      await busy;
    } finally {
      await app.close();
    }
  });
});
