import { parentPort, threadId, workerData } from 'node:worker_threads';
import { VadError } from '@vad/contracts';
import type { TaskOutput, InferTask, WorkerConfig, WorkerStatus } from '../infer/types';
import { toWireError } from '../infer/wire-error';
import { FAKE_MODEL } from './fake-model';

/**
 * A stand-in inference worker for pool mechanics tests: "loads" for test.loadMs, then reports like
 * the real worker; each task burns test.busyMs of CPU (blocking this thread, as ONNX inference does).
 */
const cfg = (workerData as WorkerConfig).test ?? {};
const loadMs = Number(cfg.loadMs ?? 0);
const busyMs = Number(cfg.busyMs ?? 0);

setTimeout(() => {
  const s: WorkerStatus = cfg.fail
    ? { vadWorker: 'failed', threadId, code: 'digest_mismatch', message: 'density.safetensors digest differs from manifest.json' }
    : { vadWorker: 'ready', threadId, model: FAKE_MODEL, loadMs, warmupMs: 0 };
  parentPort?.postMessage(s);
}, loadMs);

export default function infer(task: InferTask): TaskOutput {
  const until = Date.now() + busyMs;
  while (Date.now() < until) {
    /* burn CPU */
  }
  // test.failTask: the task fails with this coded error, sent back the way the real worker sends it.
  if (cfg.failTask) {
    const f = cfg.failTask as { code: VadError['code']; message: string; details?: Record<string, unknown> };
    return { ok: false, error: toWireError(new VadError(f.code, f.message, f.details)) };
  }
  return { ok: true, clips: [], originalSizes: task.frames.map(() => [48, 72] as [number, number]), timingsMs: {} };
}
