import { ErrorBodySchema, ExecutionParametersSchema, InvocationResponseSchema, type InvocationResponse } from '@vad/contracts';
import sharp from 'sharp';
import { makeVideo } from '../src/testing/video';
import { sampleFrame, startLocalS3, startServer, waitForLog, waitForPing, type LocalS3, type RunningServer } from './helpers';

type FetchBody = NonNullable<NonNullable<Parameters<typeof fetch>[1]>['body']>;

/**
 * api.md over real HTTP against the real default model: every request form, every Accept type,
 * the SageMaker headers, and the error codes a well-formed client can meet.
 */
const frame = sampleFrame;
const b64 = (i: number): string => frame(i).toString('base64');

let server: RunningServer;
let s3: LocalS3;

beforeAll(async () => {
  s3 = await startLocalS3(['frames-ok', 'frames-private'], {
    'frames-ok/clip/0.jpg': frame(0),
    'frames-ok/clip/1.jpg': frame(1),
    'frames-ok/clip/2.jpg': frame(2),
    'frames-private/clip/0.jpg': frame(0),
  });
  server = await startServer({ ...s3.env, VAD_S3_ALLOWED_BUCKETS: 'frames-ok', VAD_WORKERS: '2' });
  await waitForPing(server);
}, 120_000);

afterAll(async () => {
  const code = await server?.stop();
  await s3?.close();
  expect(code).toBe(0);
});

async function invoke(body: FetchBody, headers: Record<string, string>): Promise<Response> {
  return fetch(`${server.url}/invocations`, { method: 'POST', body, headers });
}

async function ok(res: Response): Promise<InvocationResponse> {
  const text = await res.text();
  if (res.status !== 200) throw new Error(`${res.status}: ${text}`);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  return InvocationResponseSchema.parse(JSON.parse(text));
}

async function expectError(res: Response, status: number, code: string): Promise<string> {
  const body = ErrorBodySchema.parse(await res.json());
  expect({ status: res.status, code: body.error.code }).toEqual({ status, code });
  return body.error.message;
}

describe('process', () => {
  it('/ping is 200 with an empty body; /execution-parameters and /metrics answer', async () => {
    const ping = await fetch(`${server.url}/ping`);
    expect([ping.status, await ping.text()]).toEqual([200, '']);
    const params = ExecutionParametersSchema.parse(await (await fetch(`${server.url}/execution-parameters`)).json());
    expect(params.MaxConcurrentTransforms * params.MaxPayloadInMB).toBeLessThanOrEqual(100);
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/^vad_model_ready 1$/m);
    expect(await waitForLog(server, /model ready/)).toMatch(
      /model ready: .*; VAD_EXECUTION_PROVIDER=auto: regions=builtin flow=builtin pose=none appearance=none \(no ONNX stage: everything runs on the CPU\)/,
    );
  });
});

describe('request forms', () => {
  it('{"frames": [...]}: N frames → N−1 results with per-region breakdown', async () => {
    const r = await ok(
      await invoke(JSON.stringify({ frames: [{ b64: b64(0) }, b64(1), { b64: b64(2) }] }), { 'content-type': 'application/json; charset=utf-8' }),
    );
    expect(r.results.map((x) => x.frame)).toEqual([1, 2]);
    expect(r.model.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(r.imageSize).toEqual([240, 360]);
    expect(r.pred_scores).toEqual(r.results.map((x) => x.score));
    expect(r.box_scores).toEqual(r.results.map((x) => x.regions.map((g) => g.score)));
    expect(r.pred_boxes).toEqual(r.results.map((x) => x.regions.map((g) => g.box.map(Math.trunc))));
    const regions = r.results.flatMap((x) => x.regions);
    expect(regions.length).toBeGreaterThan(0);
    for (const g of regions) {
      expect(Object.keys(g.attributes)).toEqual(['velocity']); // only enabled attributes
      expect(g.velocityBins).toBeDefined();
    }
    expect(Object.keys(r.timingsMs)).toEqual(expect.arrayContaining(['decode', 'flow', 'regions', 'features', 'density']));
  });

  it('{"clips": [[F, F], …]}: one result per clip', async () => {
    const r = await ok(
      await invoke(
        JSON.stringify({
          clips: [
            [b64(0), b64(1)],
            [b64(1), b64(2)],
          ],
        }),
        { 'content-type': 'application/json' },
      ),
    );
    expect(r.results.map((x) => x.frame)).toEqual([1, 3]);
  });

  it('the original tutorial\'s {"images": [s3://…], "clip": true|false}, fetched from S3', async () => {
    const images = [0, 1, 2].map((i) => `s3://frames-ok/clip/${i}.jpg`);
    const clip = await ok(await invoke(JSON.stringify({ images, clip: true }), { 'content-type': 'application/json' }));
    expect(clip.results.map((x) => x.frame)).toEqual([2]);
    expect(clip.timingsMs.fetch).toBeGreaterThan(0);
    const seq = await ok(await invoke(JSON.stringify({ images, clip: false }), { 'content-type': 'application/json' }));
    expect(seq.results.map((x) => x.frame)).toEqual([1, 2]);
    // Same frames by S3 and by base64 score the same.
    const inline = await ok(await invoke(JSON.stringify({ frames: [b64(0), b64(1), b64(2)] }), { 'content-type': 'application/json' }));
    expect(seq.pred_scores).toEqual(inline.pred_scores);
  });

  it('multipart/form-data: image parts in order', async () => {
    const form = new FormData();
    form.append('f', new Blob([frame(0)], { type: 'image/jpeg' }), 'a.jpg');
    form.append('f', new Blob([frame(1)], { type: 'image/jpeg' }), 'b.jpg');
    const r = await ok(await invoke(form, {}));
    const json = await ok(await invoke(JSON.stringify({ frames: [b64(0), b64(1)] }), { 'content-type': 'application/json' }));
    expect(r.pred_scores).toEqual(json.pred_scores);
  });

  it('video/mp4 decoded with ffmpeg into a sequence; fps=<n> resamples', async () => {
    const video = makeVideo(4);
    const r = await ok(await invoke(video, { 'content-type': 'video/mp4' }));
    expect(r.results.map((x) => x.frame)).toEqual([1, 2, 3]);
    expect(r.timingsMs.video).toBeGreaterThan(0);
    const slow = await ok(await invoke(makeVideo(10), { 'content-type': 'video/mp4', 'x-amzn-sagemaker-custom-attributes': 'fps=5' }));
    expect(slow.results.length).toBeLessThan(9);
  });

  it('boxOriginal is in the frame as sent (a 720×480 frame scales working-space boxes ×2)', async () => {
    const big = await Promise.all([0, 1].map((i) => sharp(frame(i)).resize(720, 480).jpeg().toBuffer()));
    const r = await ok(await invoke(JSON.stringify({ frames: big.map((b) => b.toString('base64')) }), { 'content-type': 'application/json' }));
    const g = r.results[0]!.regions[0]!;
    g.box.forEach((v, k) => expect(g.boxOriginal[k]).toBeCloseTo(v * 2, 3));
  });
});

describe('single frames: sessions and streams', () => {
  it('without a session: 400 needs_clip that explains how to send two frames', async () => {
    const msg = await expectError(await invoke(frame(0), { 'content-type': 'image/jpeg' }), 400, 'needs_clip');
    expect(msg).toMatch(/two frames/);
    expect(msg).toMatch(/NEW_SESSION/);
  });

  it('SageMaker stateful session: NEW_SESSION → New-Session-Id; the id chains frames; CLOSE → Closed-Session-Id', async () => {
    const first = await invoke(frame(0), { 'content-type': 'image/x-image', 'x-amzn-sagemaker-session-id': 'NEW_SESSION' });
    expect(first.status).toBe(200);
    const header = first.headers.get('x-amzn-sagemaker-new-session-id')!;
    expect(header).toMatch(/^[a-zA-Z0-9](-*[a-zA-Z0-9])*; Expires=\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const id = header.split(';')[0]!;
    expect((await ok(first)).results).toEqual([]);
    const second = await ok(await invoke(frame(1), { 'content-type': 'application/x-image', 'x-amzn-sagemaker-session-id': id }));
    const pair = await ok(await invoke(JSON.stringify({ frames: [b64(0), b64(1)] }), { 'content-type': 'application/json' }));
    expect(second.pred_scores).toEqual(pair.pred_scores);
    expect(second.results[0]!.frame).toBe(0);
    const close = await invoke(JSON.stringify({ requestType: 'CLOSE' }), { 'content-type': 'application/json', 'x-amzn-sagemaker-session-id': id });
    expect([close.status, close.headers.get('x-amzn-sagemaker-closed-session-id')]).toEqual([200, id]);
    await expectError(await invoke(frame(2), { 'content-type': 'image/jpeg', 'x-amzn-sagemaker-session-id': id }), 404, 'not_found');
  });

  it('custom attribute stream=<id> chains frames; custom attributes and inference id are echoed', async () => {
    const headers = {
      'content-type': 'image/jpeg',
      'x-amzn-sagemaker-custom-attributes': 'stream=cam-e2e;trace=42',
      'x-amzn-sagemaker-inference-id': 'e2e-inf-1',
    };
    const r1 = await invoke(frame(0), headers);
    expect(r1.headers.get('x-amzn-sagemaker-custom-attributes')).toBe('stream=cam-e2e;trace=42');
    expect(r1.headers.get('x-amzn-sagemaker-inference-id')).toBe('e2e-inf-1');
    expect((await ok(r1)).results).toEqual([]);
    const r2 = await ok(await invoke(frame(1), headers));
    expect(r2.results).toHaveLength(1);
  });
});

describe('Accept', () => {
  it("image/png and image/jpeg render the single result at the frame's size", async () => {
    for (const [accept, format] of [
      ['image/png', 'png'],
      ['image/jpeg', 'jpeg'],
    ] as const) {
      const res = await invoke(JSON.stringify({ frames: [b64(0), b64(1)] }), { 'content-type': 'application/json', accept });
      expect([res.status, res.headers.get('content-type')]).toEqual([200, `image/${format}`]);
      const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([format, 360, 240]);
    }
  });

  it('q-values pick the best acceptable type; nothing acceptable is 406', async () => {
    const res = await invoke(JSON.stringify({ frames: [b64(0), b64(1)] }), {
      'content-type': 'application/json',
      accept: 'image/jpeg;q=0.4, application/json;q=0.9',
    });
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    await res.arrayBuffer();
    await expectError(
      await invoke(JSON.stringify({ frames: [b64(0), b64(1)] }), { 'content-type': 'application/json', accept: 'text/csv' }),
      406,
      'unsupported_accept',
    );
    await expectError(
      await invoke(JSON.stringify({ frames: [b64(0), b64(1), b64(2)] }), { 'content-type': 'application/json', accept: 'image/png' }),
      406,
      'unsupported_accept',
    );
  });
});

describe('S3 errors', () => {
  it('a bucket outside VAD_S3_ALLOWED_BUCKETS is s3_forbidden; a missing object is s3_not_found', async () => {
    await expectError(
      await invoke(JSON.stringify({ images: ['s3://frames-private/clip/0.jpg', 's3://frames-ok/clip/1.jpg'] }), { 'content-type': 'application/json' }),
      400,
      's3_forbidden',
    );
    await expectError(
      await invoke(JSON.stringify({ images: ['s3://frames-ok/clip/0.jpg', 's3://frames-ok/nope.jpg'] }), { 'content-type': 'application/json' }),
      422,
      's3_not_found',
    );
  });
});
