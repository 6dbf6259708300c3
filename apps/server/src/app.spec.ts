import { request } from 'node:http';
import { ErrorBodySchema, ExecutionParametersSchema, InvocationResponseSchema } from '@vad/contracts';
import sharp from 'sharp';
import { buildApp, type App } from './app';
import { FAKE_MODEL, FakeInference } from './testing/fake-model';
import { squareFrame } from './testing/images';
import { testConfig } from './testing/config';

let app: App;
let fake: FakeInference;
let a: Buffer;
let b: Buffer;

beforeAll(async () => {
  a = await squareFrame({ x: 10 });
  b = await squareFrame({ x: 20 });
});

beforeEach(async () => {
  fake = new FakeInference();
  app = await buildApp({ config: testConfig(), inference: fake });
});

afterEach(async () => {
  await app.close();
});

const json = (body: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url: '/invocations', headers: { 'content-type': 'application/json', ...headers }, payload: JSON.stringify(body) });

function expectError(res: { statusCode: number; body: string }, status: number, code: string): void {
  expect({ status: res.statusCode, code: JSON.parse(res.body).error?.code }).toEqual({ status, code });
  expect(ErrorBodySchema.safeParse(JSON.parse(res.body)).success).toBe(true);
}

describe('/ping', () => {
  it('is 503 with a JSON reason until the model is ready, then 200 with an empty body', async () => {
    fake.state = { state: 'loading', reason: 'model loading: 0/1 workers ready' };
    const r1 = await app.inject('/ping');
    expectError(r1, 503, 'model_not_ready');
    expect(JSON.parse(r1.body).error.message).toContain('loading');
    fake.state = { state: 'failed', reason: 'model failed to load: digest_mismatch: density.safetensors' };
    const r2 = await app.inject('/ping');
    expect(r2.statusCode).toBe(503);
    expect(JSON.parse(r2.body).error.message).toContain('digest_mismatch');
    fake.state = { state: 'ready', model: FAKE_MODEL };
    const r3 = await app.inject('/ping');
    expect(r3.statusCode).toBe(200);
    expect(r3.body).toBe('');
  });

  it('invocations answer 503 model_not_ready before readiness, without parsing the body', async () => {
    fake.state = { state: 'loading', reason: 'model loading' };
    expectError(await json({ frames: [a.toString('base64'), b.toString('base64')] }), 503, 'model_not_ready');
    expectError(
      await app.inject({ method: 'POST', url: '/invocations', headers: { 'content-type': 'application/json' }, payload: '{"frames": [' }),
      503,
      'model_not_ready',
    );
  });
});

describe('POST /invocations request forms', () => {
  it('frames: N frames give N−1 results, valid against the contract', async () => {
    const c = await squareFrame({ x: 30 });
    const res = await json(
      { frames: [{ b64: a.toString('base64') }, b.toString('base64'), { b64: c.toString('base64') }] },
      { 'content-type': 'application/json; charset=utf-8' },
    );
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^application\/json/);
    const body = InvocationResponseSchema.parse(JSON.parse(res.body));
    expect(body.results.map((r) => r.frame)).toEqual([1, 2]);
    expect(body.pred_scores).toHaveLength(2);
    expect(body.pred_boxes[0]![0]!.every(Number.isInteger)).toBe(true);
    // 72×48 frame, 36×24 working space: boxes scale ×2 back to the frame as sent.
    const r = body.results[0]!.regions[0]!;
    expect(r.boxOriginal).toEqual(r.box.map((v) => v * 2));
    expect(body.pred_boxes[0]![0]).toEqual(r.box.map(Math.trunc));
    expect(body.box_scores[0]![0]).toBe(r.score);
    expect(Object.keys(body.timingsMs)).toEqual(expect.arrayContaining(['decode', 'flow', 'total']));
  });

  it("clips: one result per clip, frame = index of the clip's last frame in the request", async () => {
    const res = await json({
      clips: [
        [a.toString('base64'), b.toString('base64')],
        [b.toString('base64'), a.toString('base64'), b.toString('base64')],
      ],
    });
    expect(res.statusCode).toBe(200);
    const body = InvocationResponseSchema.parse(JSON.parse(res.body));
    expect(body.results.map((r) => r.frame)).toEqual([1, 4]);
    expect(fake.tasks[0]!.mode).toBe('clips');
    expect(fake.tasks[0]!.frames).toHaveLength(4); // only first and last of each clip
  });

  it('images + clip true is one clip (first, last); clip false a sequence', async () => {
    const imgs = [a, b, a].map((x) => x.toString('base64'));
    const one = InvocationResponseSchema.parse(JSON.parse((await json({ images: imgs, clip: true })).body));
    expect(one.results.map((r) => r.frame)).toEqual([2]);
    const seq = InvocationResponseSchema.parse(JSON.parse((await json({ images: imgs, clip: false })).body));
    expect(seq.results.map((r) => r.frame)).toEqual([1, 2]);
  });

  it('multipart: image parts in order form a sequence', async () => {
    const boundary = 'XbOuNdArY';
    const part = (name: string, buf: Buffer) =>
      Buffer.concat([
        Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="f"; filename="${name}"\r\nContent-Type: image/png\r\n\r\n`),
        buf,
        Buffer.from('\r\n'),
      ]);
    const payload = Buffer.concat([part('a.png', a), part('b.png', b), Buffer.from(`--${boundary}--\r\n`)]);
    const res = await app.inject({ method: 'POST', url: '/invocations', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, payload });
    expect(res.statusCode).toBe(200);
    expect(InvocationResponseSchema.parse(JSON.parse(res.body)).results).toHaveLength(1);
  });

  it('a single image without a session is 400 needs_clip explaining how to send two frames', async () => {
    for (const ct of ['image/png', 'application/x-image', 'image/x-image']) {
      const res = await app.inject({ method: 'POST', url: '/invocations', headers: { 'content-type': ct }, payload: a });
      expectError(res, 400, 'needs_clip');
      expect(JSON.parse(res.body).error.message).toMatch(/NEW_SESSION/);
    }
  });

  it('stream=<id>: the first frame is remembered, the next is scored against it; attributes echoed', async () => {
    const send = (buf: Buffer) =>
      app.inject({
        method: 'POST',
        url: '/invocations',
        headers: { 'content-type': 'image/png', 'x-amzn-sagemaker-custom-attributes': 'stream=cam-1, foo=bar' },
        payload: buf,
      });
    const r1 = await send(a);
    expect(r1.statusCode).toBe(200);
    expect(r1.headers['x-amzn-sagemaker-custom-attributes']).toBe('stream=cam-1, foo=bar');
    expect(JSON.parse(r1.body).results).toEqual([]);
    const r2 = await send(b);
    const body = InvocationResponseSchema.parse(JSON.parse(r2.body));
    expect(body.results.map((r) => r.frame)).toEqual([0]);
    expect(body.pred_scores[0]).toBeGreaterThan(0);
  });
});

describe('stateful sessions', () => {
  const img = (buf: Buffer, session: string) =>
    app.inject({ method: 'POST', url: '/invocations', headers: { 'content-type': 'image/jpeg', 'x-amzn-sagemaker-session-id': session }, payload: buf });

  it('NEW_SESSION answers New-Session-Id with an expiry; the id chains frames; CLOSE answers Closed-Session-Id', async () => {
    const r1 = await img(a, 'NEW_SESSION');
    expect(r1.statusCode).toBe(200);
    const header = String(r1.headers['x-amzn-sagemaker-new-session-id']);
    expect(header).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*; Expires=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const id = header.split(';')[0]!;
    const r2 = await img(b, id);
    expect(r2.statusCode).toBe(200);
    expect(r2.headers['x-amzn-sagemaker-new-session-id']).toBeUndefined();
    expect(InvocationResponseSchema.parse(JSON.parse(r2.body)).results.map((r) => r.frame)).toEqual([0]);
    // The previous frame is now b: sending b again scores zero motion.
    const r3 = await img(b, id);
    expect(JSON.parse(r3.body).pred_scores[0]).toBe(0);
    const close = await json({ requestType: 'CLOSE' }, { 'x-amzn-sagemaker-session-id': id });
    expect(close.statusCode).toBe(200);
    expect(close.headers['x-amzn-sagemaker-closed-session-id']).toBe(id);
    expectError(await img(a, id), 404, 'not_found');
  });

  it('NEW_SESSION with {"requestType":"NEW_SESSION"} opens a session without a frame', async () => {
    const r = await json({ requestType: 'NEW_SESSION' }, { 'x-amzn-sagemaker-session-id': 'NEW_SESSION' });
    expect(r.statusCode).toBe(200);
    expect(r.headers['x-amzn-sagemaker-new-session-id']).toMatch(/; Expires=/);
    const id = String(r.headers['x-amzn-sagemaker-new-session-id']).split(';')[0]!;
    expect(JSON.parse(r.body).session.id).toBe(id);
  });

  it('a malformed session id is 400', async () => {
    expectError(await img(a, 'not a valid id!'), 400, 'bad_request');
  });
});

describe('negotiation and errors', () => {
  it('Accept image/png and image/jpeg return the drawn frame at the size sent', async () => {
    for (const [accept, format] of [
      ['image/png', 'png'],
      ['image/jpeg', 'jpeg'],
      ['text/html;q=0.9, image/png;q=0.8', 'png'],
    ] as const) {
      const res = await json({ frames: [a.toString('base64'), b.toString('base64')] }, { accept });
      expect(res.statusCode).toBe(200);
      expect(res.headers['content-type']).toBe(`image/${format}`);
      const meta = await sharp(res.rawPayload).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([format, 72, 48]);
    }
  });

  it('image Accept with several results: falls back to JSON when acceptable, else 406', async () => {
    const three = { frames: [a, b, a].map((x) => x.toString('base64')) };
    const ok = await json(three, { accept: 'image/png, application/json;q=0.5' });
    expect([ok.statusCode, ok.headers['content-type']]).toEqual([200, 'application/json; charset=utf-8']);
    expectError(await json(three, { accept: 'image/png' }), 406, 'unsupported_accept');
  });

  it('Accept with no supported type is 406; q=0 excludes', async () => {
    expectError(await json({ frames: [a.toString('base64'), b.toString('base64')] }, { accept: 'text/csv' }), 406, 'unsupported_accept');
    expectError(
      await json({ frames: [a.toString('base64'), b.toString('base64')] }, { accept: 'application/json;q=0, image/*;q=0' }),
      406,
      'unsupported_accept',
    );
  });

  it('wrong or missing content types are 415', async () => {
    expectError(
      await app.inject({ method: 'POST', url: '/invocations', headers: { 'content-type': 'text/csv' }, payload: 'a,b' }),
      415,
      'unsupported_media_type',
    );
    expectError(await app.inject({ method: 'POST', url: '/invocations', payload: Buffer.from('xx') }), 415, 'unsupported_media_type');
  });

  it('bad JSON, wrong shapes, deep nesting are 400 bad_json; too many frames 400; oversize 413', async () => {
    expectError(
      await app.inject({ method: 'POST', url: '/invocations', headers: { 'content-type': 'application/json' }, payload: '{"frames": [' }),
      400,
      'bad_json',
    );
    expectError(await json({ frames: 'nope' }), 400, 'bad_json');
    expectError(await json({ frames: [a.toString('base64'), b.toString('base64')], extra: 1 }), 400, 'bad_json');
    const deep = '['.repeat(100_000) + ']'.repeat(100_000);
    expectError(
      await app.inject({ method: 'POST', url: '/invocations', headers: { 'content-type': 'application/json' }, payload: `{"frames": ${deep}}` }),
      400,
      'bad_json',
    );
    expectError(await json({ frames: Array.from({ length: 65 }, () => 'aGVsbG8=') }), 400, 'too_many_frames');
    const big = Buffer.alloc(7 * 1024 * 1024, 0x41);
    expectError(await app.inject({ method: 'POST', url: '/invocations', headers: { 'content-type': 'image/png' }, payload: big }), 413, 'payload_too_large');
  });

  it('corrupt images and mismatched sizes have their codes', async () => {
    expectError(await json({ frames: ['bm90IGFuIGltYWdl', b.toString('base64')] }), 400, 'bad_image');
    expectError(await json({ frames: ['***', b.toString('base64')] }), 400, 'bad_image');
    const other = await squareFrame({ width: 80 });
    expectError(await json({ frames: [a.toString('base64'), other.toString('base64')] }), 422, 'frame_size_mismatch');
  });

  it('a full queue answers 429 overloaded before any work', async () => {
    fake.maxPending = 0;
    expectError(await json({ frames: [a.toString('base64'), b.toString('base64')] }), 429, 'overloaded');
    expect(fake.tasks).toHaveLength(0);
    // Refused before the body is parsed: broken JSON is not even looked at.
    const res = await app.inject({
      method: 'POST',
      url: '/invocations',
      headers: { 'content-type': 'application/json', 'x-amzn-sagemaker-inference-id': 'busy-1' },
      payload: '{"frames": [',
    });
    expectError(res, 429, 'overloaded');
    expect(res.headers['x-amzn-sagemaker-inference-id']).toBe('busy-1');
  });

  it('a client that hangs up marks its task abandoned, so the worker drops it', async () => {
    fake.delayMs = 500;
    await app.listen({ port: 0, host: '127.0.0.1' });
    const { port } = app.server.address() as { port: number };
    const body = JSON.stringify({ frames: [a.toString('base64'), b.toString('base64')] });
    const req = request({ host: '127.0.0.1', port, path: '/invocations', method: 'POST', headers: { 'content-type': 'application/json' } });
    req.on('error', () => undefined);
    req.end(body);
    for (let i = 0; i < 100 && fake.tasks.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(Atomics.load(fake.tasks[0]!.abandoned!, 0)).toBe(0);
    req.destroy();
    for (let i = 0; i < 100 && Atomics.load(fake.tasks[0]!.abandoned!, 0) === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(Atomics.load(fake.tasks[0]!.abandoned!, 0)).toBe(1);
  });

  it('a request past its deadline is 504 deadline_exceeded', async () => {
    await app.close();
    fake = new FakeInference();
    fake.delayMs = 300;
    app = await buildApp({ config: testConfig({ deadlineMs: 100 }), inference: fake });
    expectError(await json({ frames: [a.toString('base64'), b.toString('base64')] }), 504, 'deadline_exceeded');
    // The 504 has gone out; the work behind it is dropped rather than finished for nobody.
    expect(Atomics.load(fake.tasks[0]!.abandoned!, 0)).toBe(1);
  });

  it('echoes the inference id and uses it as the request id in errors', async () => {
    const res = await json({ frames: 'x' }, { 'x-amzn-sagemaker-inference-id': 'inf-123' });
    expect(res.headers['x-amzn-sagemaker-inference-id']).toBe('inf-123');
    expect(JSON.parse(res.body).error.requestId).toBe('inf-123');
  });

  it('unknown routes are 404 not_found in the error format', async () => {
    expectError(await app.inject('/nope'), 404, 'not_found');
  });
});

describe('execution parameters and metrics', () => {
  it("GET /execution-parameters matches the schema and SageMaker's product limit", async () => {
    const res = await app.inject('/execution-parameters');
    const p = ExecutionParametersSchema.parse(JSON.parse(res.body));
    expect(p.MaxPayloadInMB).toBe(6);
    expect(p.MaxConcurrentTransforms * p.MaxPayloadInMB).toBeLessThanOrEqual(100);
  });

  it('GET /metrics counts requests by status and code, and exposes queue and in-flight gauges', async () => {
    await json({ frames: [a.toString('base64'), b.toString('base64')] });
    await json({ frames: 'x' });
    const text = (await app.inject('/metrics')).body;
    expect(text).toContain('vad_requests_total{route="/invocations",status="200",code="ok"} 1');
    expect(text).toContain('vad_requests_total{route="/invocations",status="400",code="bad_json"} 1');
    expect(text).toMatch(/vad_request_duration_seconds_bucket\{route="\/invocations",le="\+Inf"\} 2/);
    expect(text).toMatch(/^vad_queue_depth 0$/m);
    expect(text).toMatch(/^vad_inflight_requests 0$/m);
  });
});
