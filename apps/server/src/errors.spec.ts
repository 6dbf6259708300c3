import { ERRORS, ErrorBodySchema, VadError, type ErrorCode } from '@vad/contracts';
import { buildApp } from './app';
import { errorBody, toCoded } from './errors';
import type { TaskDeps } from './infer/run-task';
import { FakeInference, fakeModel } from './testing/fake-model';
import { squareFrame } from './testing/images';
import { testConfig } from './testing/config';

describe('errors', () => {
  it('unknown failures become internal without leaking their message or stack', () => {
    const c = toCoded(new TypeError('secret path /opt/ml/model/x at foo.ts:1'));
    expect(c).toMatchObject({ code: 'internal', internal: true });
    expect(c.message).not.toContain('secret');
    expect(errorBody(c, 'req-1')).toEqual({ error: { code: 'internal', message: c.message, requestId: 'req-1' } });
  });
  it('fastify body limits map to payload_too_large with the status from ERRORS', () => {
    const c = toCoded(Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }));
    expect([c.code, ERRORS[c.code].status]).toEqual(['payload_too_large', 413]);
  });
  it('VadErrors keep their code and details', () => {
    expect(toCoded(new VadError('frame_size_mismatch', 'm', { index: 1 }))).toMatchObject({
      code: 'frame_size_mismatch',
      message: 'm',
      details: { index: 1 },
      internal: false,
    });
  });
});

/**
 * A failure thrown inside a task crosses every boundary a real one does — runInferTask's wire
 * form, the pool side's settle back into a VadError, the route, fastify's error handler — and
 * must reach the HTTP answer unchanged.
 */
describe('a task failure at the HTTP answer', () => {
  async function answerTo(thrown: unknown): Promise<{ status: number; body: Record<string, unknown> & { error: Record<string, unknown> } }> {
    const failing: TaskDeps['model'] = {
      ...fakeModel,
      async scoreSequence() {
        throw thrown;
      },
    };
    const app = await buildApp({ config: testConfig(), inference: new FakeInference({ model: failing }) });
    try {
      const frames = [(await squareFrame({ x: 10 })).toString('base64'), (await squareFrame({ x: 20 })).toString('base64')];
      const res = await app.inject({
        method: 'POST',
        url: '/invocations',
        headers: { 'content-type': 'application/json' },
        payload: JSON.stringify({ frames }),
      });
      const body = JSON.parse(res.body);
      expect(ErrorBodySchema.safeParse(body).success).toBe(true);
      return { status: res.statusCode, body };
    } finally {
      await app.close();
    }
  }

  it.each<[ErrorCode, Record<string, unknown> | undefined]>([
    ['onnx_runtime', { stage: 'flow', provider: 'cpu' }],
    ['frame_size_mismatch', { index: 3, expected: [48, 72], got: [48, 80] }],
    ['disk_full', undefined],
  ])('a VadError(%s) keeps its code, message and details, with the table status', async (code, details) => {
    const message = `the ${code} failure, as thrown`;
    const { status, body } = await answerTo(new VadError(code, message, details));
    expect(status).toBe(ERRORS[code].status);
    expect(body.error).toMatchObject({ code, message });
    expect(body.error.details).toEqual(details);
  });

  it('a non-VadError answers internal (500) without its stack', async () => {
    const thrown = new TypeError('cannot read properties of undefined');
    const { status, body } = await answerTo(thrown);
    expect(status).toBe(ERRORS.internal.status);
    expect(body.error.code).toBe('internal');
    expect(body.error.details).toBeUndefined();
    const text = JSON.stringify(body);
    expect(text).not.toMatch(/\\n\s+at /);
    expect(text).not.toContain(thrown.stack!.split('\n')[1]!.trim());
  });
});
