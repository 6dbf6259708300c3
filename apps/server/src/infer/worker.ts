import { parentPort, threadId, workerData } from 'node:worker_threads';
import { performance } from 'node:perf_hooks';
import { defaultModelDir, loadModel, prepareFrame, type VadModel } from '@vad/core';
import type { CodedError } from '../errors';
import { runInferTask } from './run-task';
import type { InferTask, TaskOutput, WorkerConfig, WorkerStatus } from './types';
import { toWireError } from './wire-error';

/**
 * One inference worker thread: loads its own copy of the model (own ONNX sessions), verifies the
 * digests, warms it up and only then reports ready, so /ping turns 200 on a model that has
 * actually run (sagemaker-notes §8.1). Frames are decoded here too: decoding is CPU work and the
 * main thread must stay free for HTTP and /ping.
 */
const config = workerData as WorkerConfig;

/** Why the model failed to load, in wire form: made once, reported once, answered to every task. */
let loadFailure: CodedError | undefined;

function post(s: WorkerStatus): void {
  parentPort?.postMessage(s);
}

async function init(): Promise<VadModel> {
  const t0 = performance.now();
  try {
    const dir = config.modelDir ?? defaultModelDir();
    const model = await loadModel(dir, { executionProvider: config.executionProvider, threads: config.threads });
    const t1 = performance.now();
    await model.warmup();
    post({
      vadWorker: 'ready',
      threadId,
      model: {
        name: model.name,
        sha256: model.sha256,
        imageSize: [model.imageSize[0], model.imageSize[1]],
        enabled: [...model.enabled],
        providers: { ...model.providers },
        providerSummary: model.providerSummary,
        ...(model.manifest.threshold ? { threshold: model.manifest.threshold.value } : {}),
      },
      loadMs: t1 - t0,
      warmupMs: performance.now() - t1,
    });
    return model;
  } catch (e) {
    const c = (loadFailure = toWireError(e, 'model_invalid'));
    // `cuda` is a demand, not a preference: say which setting turns it into one.
    const hint =
      c.code === 'onnx_runtime' && config.executionProvider === 'cuda' ? ' (VAD_EXECUTION_PROVIDER=cuda; set it to auto to fall back to the CPU)' : '';
    post({ vadWorker: 'failed', threadId, code: c.code, message: c.message + hint });
    throw e;
  }
}

const modelPromise = init();
modelPromise.catch(() => undefined); // reported above; tasks answer model_not_ready

export default async function infer(task: InferTask): Promise<TaskOutput> {
  let model: VadModel;
  try {
    model = await modelPromise;
  } catch {
    return { ok: false, error: { code: 'model_not_ready', message: `the model failed to load: ${loadFailure?.message}` } };
  }
  return runInferTask(task, { model, prepareFrame, maxPixels: config.maxPixels });
}
