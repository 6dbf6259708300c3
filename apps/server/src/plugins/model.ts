import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config';
import { WorkerPool } from '../infer/pool';
import { modelSafety } from './model-safety';
import type { Inference, ModelInfo, WorkerStatus } from '../infer/types';

/**
 * The start-up line's provider part: what was asked, what each stage got, and why `auto` ended on
 * the CPU. `auto` hides its choice otherwise, and a model without ONNX stages (the embedded
 * default: foreground regions, built-in flow, velocity GMM) runs on the CPU whatever was asked.
 */
export function providerLine(model: Pick<ModelInfo, 'providers' | 'providerSummary'>, requested: ServerConfig['executionProvider']): string {
  const p = model.providers;
  const stages = `regions=${p.regions} flow=${p.flow} pose=${p.pose} appearance=${p.appearance}`;
  const onnx = Object.values(p).some((v) => v === 'cpu' || v === 'cuda');
  const detail = onnx ? model.providerSummary : 'no ONNX stage: everything runs on the CPU';
  return `VAD_EXECUTION_PROVIDER=${requested}: ${stages} (${detail})`;
}

/**
 * The model lives in the workers: each loads, verifies digests and warms up its own copy, and the
 * pool reports readiness. /ping reads that state and nothing else (truthful readiness: 200 only
 * after a warm-up inference passed — the toolkits go InService before model_fn finishes, §2.6).
 */
export function modelPlugin(app: FastifyInstance, opts: { config: ServerConfig; inference?: Inference }): Inference {
  const { config } = opts;
  let announced = false;
  const onStatus = (s: WorkerStatus): void => {
    if (s.vadWorker === 'failed') {
      app.log.error({ threadId: s.threadId, code: s.code }, `model failed to load: ${s.message}`);
      return;
    }
    app.log.debug({ threadId: s.threadId, loadMs: Math.round(s.loadMs), warmupMs: Math.round(s.warmupMs) }, 'worker ready');
    if (!announced && inference.readiness().state === 'ready') {
      announced = true;
      const readyMs = Math.round(process.uptime() * 1000);
      app.log.info(
        {
          model: s.model.name,
          sha256: s.model.sha256,
          modelDir: config.modelDir ?? '(embedded default)',
          modelDirSource: config.modelDirSource,
          workers: inference.workers,
          executionProvider: config.executionProvider,
          providers: s.model.providers,
          readyMs,
        },
        `model ready: ${s.model.name} [${s.model.enabled.join(', ')}]; ${providerLine(s.model, config.executionProvider)}; ${inference.workers} worker(s); ready ${readyMs} ms after process start`,
      );
    }
  };
  let inference: Inference;
  if (opts.inference) inference = opts.inference;
  else {
    const pool = new WorkerPool({
      workers: config.workers,
      queuePerWorker: config.queuePerWorker,
      // Half the deadline for waiting leaves the other half for running.
      maxWaitMs: config.deadlineMs / 2,
      workerData: { modelDir: config.modelDir, executionProvider: config.executionProvider, threads: config.threadsPerWorker, maxPixels: config.maxPixels },
      onStatus,
      deferStart: true,
    });
    // Threads start once the socket accepts: on a small instance their start-up (bundle, ONNX
    // runtime, OpenCV's wasm) would otherwise compete with the main thread reaching listen(),
    // and SageMaker wants connections accepted within 250 ms.
    // The folder passes unpack's safety checks before any worker reads it (model-safety.ts).
    const safety = modelSafety(config.modelDir, (reason) => app.log.error({ modelDir: config.modelDir }, `model refused: ${reason}`));
    app.addHook('onListen', async () => safety.whenSafe(() => pool.start()));
    inference = safety.wrap(pool);
  }
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
