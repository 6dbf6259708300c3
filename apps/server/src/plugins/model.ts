import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config';
import { WorkerPool } from '../infer/pool';
import type { Inference, WorkerStatus } from '../infer/types';

/**
 * The model lives in the workers: each loads, verifies digests and warms up its own copy, and the
 * pool reports readiness. /ping reads that state and nothing else (truthful readiness: 200 only
 * after a warm-up inference passed — the toolkits go InService before model_fn finishes, §2.6).
 */
export function modelPlugin(app: FastifyInstance, opts: { config: ServerConfig; inference?: Inference }): Inference {
  const { config } = opts;
  const started = Date.now();
  let announced = false;
  const onStatus = (s: WorkerStatus): void => {
    if (s.vadWorker === 'failed') {
      app.log.error({ threadId: s.threadId, code: s.code }, `model failed to load: ${s.message}`);
      return;
    }
    app.log.debug({ threadId: s.threadId, loadMs: Math.round(s.loadMs), warmupMs: Math.round(s.warmupMs) }, 'worker ready');
    if (!announced && inference.readiness().state === 'ready') {
      announced = true;
      const p = s.model.providers;
      // One line saying which provider runs each stage (VAD_EXECUTION_PROVIDER=auto hides it otherwise).
      app.log.info(
        {
          model: s.model.name,
          sha256: s.model.sha256,
          modelDir: config.modelDir ?? '(embedded default)',
          modelDirSource: config.modelDirSource,
          workers: inference.workers,
          providers: p,
          readyMs: Date.now() - started,
        },
        `model ready: ${s.model.name} [${s.model.enabled.join(', ')}] providers regions=${p.regions} flow=${p.flow} pose=${p.pose} appearance=${p.appearance}; ${inference.workers} worker(s); ${Date.now() - started} ms`,
      );
    }
  };
  const inference: Inference =
    opts.inference ??
    new WorkerPool({
      workers: config.workers,
      queuePerWorker: config.queuePerWorker,
      workerData: { modelDir: config.modelDir, executionProvider: config.executionProvider, threads: config.threadsPerWorker, maxPixels: config.maxPixels },
      onStatus,
    });
  app.decorate('inference', inference);
  app.addHook('onClose', async () => {
    await inference.close();
  });
  return inference;
}

declare module 'fastify' {
  interface FastifyInstance {
    inference: Inference;
  }
}
