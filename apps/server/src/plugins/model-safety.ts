import { checkModelDirSafety } from '@vad/artifacts';
import type { Inference, Readiness } from '../infer/types';

/**
 * Start-up safety check of the model folder (issue 12): SageMaker unpacks model.tar.gz into
 * /opt/ml/model itself, so unpack's checks (links, devices, unexpected or oversized files,
 * pickles; @vad/artifacts checkModelDirSafety) run here before any worker reads the model. Until
 * it passes /ping says 503 "checking"; if it fails, 503 with the reason — for good, and the
 * workers are never started. The check is bounded (it reads only the manifest and lists at most
 * the member cap), so /ping never waits on it: it only reads the outcome.
 */
export interface ModelSafety {
  /** Runs `start` once the folder passed; never, if it did not. */
  whenSafe(start: () => unknown): void;
  /** `inner`, with readiness saying why the model is not loaded while the check is pending or failed. */
  wrap(inner: Inference): Inference;
}

export function modelSafety(modelDir: string | undefined, onRefused: (message: string) => void): ModelSafety {
  let state: { kind: 'pending' } | { kind: 'safe' } | { kind: 'refused'; reason: string } = modelDir ? { kind: 'pending' } : { kind: 'safe' };
  // The embedded default ships with the image; only a user's folder is checked.
  const checked = modelDir
    ? checkModelDirSafety(modelDir).then(
        () => {
          state = { kind: 'safe' };
          return true;
        },
        (e: unknown) => {
          const reason = e instanceof Error ? e.message : String(e);
          state = { kind: 'refused', reason };
          onRefused(reason);
          return false;
        },
      )
    : Promise.resolve(true);
  return {
    whenSafe(start) {
      void checked
        .then(async (ok) => {
          if (ok) await start();
        })
        .catch((e: unknown) => {
          const reason = `the inference workers did not start: ${e instanceof Error ? e.message : String(e)}`;
          state = { kind: 'refused', reason };
          onRefused(reason);
        });
    },
    wrap(inner) {
      const readiness = (): Readiness => {
        if (state.kind === 'pending') return { state: 'loading', reason: 'checking the model files' };
        if (state.kind === 'refused') return { state: 'failed', reason: `model refused: ${state.reason}` };
        return inner.readiness();
      };
      return new Proxy(inner, {
        get(target, prop, receiver) {
          if (prop === 'readiness') return readiness;
          const v: unknown = Reflect.get(target, prop, receiver);
          return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
        },
      });
    },
  };
}
