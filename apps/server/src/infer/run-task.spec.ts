import { FAKE_MODEL, fakeModel, fakePrepareFrame } from '../testing/fake-model';
import { squareFrame } from '../testing/images';
import { runInferTask, type TaskDeps } from './run-task';
import type { InferTask } from './types';

/** runInferTask with the fake model: the worker-side rules that do not need a worker thread. */
describe('runInferTask', () => {
  let prepared = 0;
  const deps: TaskDeps = {
    model: fakeModel,
    prepareFrame: async (bytes, size) => {
      prepared++;
      return fakePrepareFrame(bytes, size);
    },
    maxPixels: 40_000_000,
  };
  const task = async (over: Partial<InferTask> = {}): Promise<InferTask> => ({
    requestId: 'r',
    frames: [new Uint8Array(await squareFrame({ x: 10 })), new Uint8Array(await squareFrame({ x: 20 }))],
    mode: 'sequence',
    deadline: Date.now() + 60_000,
    submittedAt: Date.now(),
    ...over,
  });

  beforeEach(() => {
    prepared = 0;
  });

  it('scores a sequence', async () => {
    const out = await runInferTask(await task(), deps);
    expect(out).toMatchObject({
      ok: true,
      originalSizes: [
        [48, 72],
        [48, 72],
      ],
    });
    expect(out.ok && out.clips).toHaveLength(1);
    expect(FAKE_MODEL.imageSize).toEqual(fakeModel.imageSize);
  });

  it('drops an abandoned task without decoding a frame', async () => {
    const abandoned = new Int32Array(new SharedArrayBuffer(4));
    Atomics.store(abandoned, 0, 1);
    const out = await runInferTask(await task({ abandoned }), deps);
    expect(out).toMatchObject({ ok: false, error: { code: 'deadline_exceeded', message: expect.stringMatching(/abandoned/) } });
    expect(prepared).toBe(0);
  });

  it('stops at the next frame once abandoned mid-way', async () => {
    const abandoned = new Int32Array(new SharedArrayBuffer(4));
    const stopping: TaskDeps = {
      ...deps,
      prepareFrame: async (bytes, size) => {
        prepared++;
        Atomics.store(abandoned, 0, 1); // the client hangs up while frame 0 decodes
        return fakePrepareFrame(bytes, size);
      },
    };
    const out = await runInferTask(await task({ abandoned }), stopping);
    expect(out).toMatchObject({ ok: false, error: { code: 'deadline_exceeded' } });
    expect(prepared).toBe(1);
  });

  it("mixed frame sizes answer frame_size_mismatch from the model's own check, in wire form", async () => {
    const frames = [new Uint8Array(await squareFrame({ x: 10 })), new Uint8Array(await squareFrame({ x: 20, width: 80 }))];
    const out = await runInferTask(await task({ frames }), deps);
    expect(out).toEqual({
      ok: false,
      error: {
        code: 'frame_size_mismatch',
        message: expect.stringMatching(/^frame 1 is 80x48 but frame 0 is 72x48/),
        details: { index: 1, expected: [48, 72], got: [48, 80] },
      },
    });
    expect(out.ok || out.error instanceof Error).toBe(false); // plain data: it must cross postMessage
  });

  it('a task past its deadline answers deadline_exceeded', async () => {
    const out = await runInferTask(await task({ deadline: Date.now() - 1 }), deps);
    expect(out).toMatchObject({ ok: false, error: { code: 'deadline_exceeded', message: expect.stringMatching(/VAD_DEADLINE_MS/) } });
    expect(prepared).toBe(0);
  });
});
