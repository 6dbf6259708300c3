import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorBodySchema } from '@vad/contracts';
import sharp from 'sharp';
import { sampleFrame, startServerWithS3, waitForLog, type RunningServer } from './helpers';

/**
 * Issue 13's attacks and careless clients, over real sockets on loopback against the real server
 * process: each answer is a 4xx/5xx in the API's `{error: {code, message}}` shape, and the server
 * holds no socket past its timeouts. Timeouts are shortened (1 s headers, 2 s request) so the suite
 * stays within seconds.
 */
let server: RunningServer;
let stop: () => Promise<number | null>;
const MAX_CONNECTIONS = 16;
const host = '127.0.0.1';

beforeAll(async () => {
  const objects = {
    'frames-ok/clip/0.jpg': sampleFrame(0),
    'frames-ok/clip/1.jpg': sampleFrame(1),
    'frames-other/x.jpg': sampleFrame(1),
    'frames-ok/big.jpg': Buffer.alloc(2 * 1024 * 1024, 0xff),
  };
  ({ server, stop } = await startServerWithS3(['frames-ok', 'frames-other'], objects, (s3env) => ({
    VAD_WORKERS: '1',
    VAD_QUEUE: '0',
    VAD_MAX_FRAMES: '8',
    VAD_MAX_PIXELS: '1000000',
    VAD_HEADERS_TIMEOUT_MS: '1000',
    VAD_REQUEST_TIMEOUT_MS: '2000',
    VAD_MAX_CONNECTIONS: String(MAX_CONNECTIONS),
    ...s3env,
    VAD_S3_ALLOWED_BUCKETS: 'frames-ok',
    VAD_S3_MAX_OBJECT_MB: '1',
  })));
}, 120_000);

afterAll(async () => {
  expect(await stop?.()).toBe(0);
});

type FetchBody = NonNullable<NonNullable<Parameters<typeof fetch>[1]>['body']>;
const post = (body: FetchBody, headers: Record<string, string>) => fetch(`${server.url}/invocations`, { method: 'POST', body, headers });
const json = (v: unknown, headers: Record<string, string> = {}) => post(JSON.stringify(v), { 'content-type': 'application/json', ...headers });
const b64 = (i: number) => sampleFrame(i).toString('base64');

async function apiError(res: Response): Promise<{ status: number; code: string; message: string }> {
  const body = ErrorBodySchema.parse(await res.json());
  return { status: res.status, code: body.error.code, message: body.error.message };
}

/** Writes raw bytes on a fresh socket and resolves with everything the server sent until it closed. */
function raw(chunks: Array<string | Buffer>, gapMs = 0): Promise<{ text: string; ms: number }> {
  return new Promise((resolve, reject) => {
    const t0 = Date.now();
    const sock = connect(server.port, host);
    let text = '';
    let timer: NodeJS.Timeout | undefined;
    sock.on('data', (d) => (text += d.toString('latin1')));
    sock.on('error', () => undefined);
    sock.on('close', () => {
      clearTimeout(timer);
      resolve({ text, ms: Date.now() - t0 });
    });
    let i = 0;
    const next = (): void => {
      // Like curl, stop sending once the server has answered: bytes written after its close
      // draw a reset that can discard the answer before it is read.
      if (sock.destroyed || i >= chunks.length || text.length > 0) return;
      sock.write(chunks[i++]!);
      timer = setTimeout(next, gapMs);
    };
    sock.on('connect', next);
    setTimeout(() => reject(new Error(`socket still open after 10 s; got ${text}`)), 10_000).unref();
  });
}

function rawStatus(text: string): { status: number; code: string } {
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1]);
  const body = ErrorBodySchema.parse(JSON.parse(text.slice(text.indexOf('\r\n\r\n') + 4)));
  return { status, code: body.error.code };
}

describe('S3 URIs', () => {
  it('a ".." key cannot reach a bucket outside VAD_S3_ALLOWED_BUCKETS', async () => {
    expect(await apiError(await json({ frames: [{ s3: 's3://frames-other/x.jpg' }, b64(1)] }))).toMatchObject({ status: 400, code: 's3_forbidden' });
    expect(await apiError(await json({ frames: [{ s3: 's3://frames-ok/../frames-other/x.jpg' }, b64(1)] }))).toMatchObject({
      status: 400,
      code: 'bad_request',
    });
    expect(await apiError(await json({ frames: [{ s3: 's3://frames-ok/..%2Fframes-other/x.jpg' }, b64(1)] }))).toMatchObject({
      status: 400,
      code: 'bad_request',
    });
  });

  it('a 5000-character key is a 4xx, not 500', async () => {
    expect(await apiError(await json({ frames: [{ s3: `s3://frames-ok/${'k'.repeat(5000)}` }, b64(1)] }))).toMatchObject({ status: 400, code: 'bad_request' });
  });

  it('an object over VAD_S3_MAX_OBJECT_MB is 413, and frames in the allowed bucket still score', async () => {
    expect(await apiError(await json({ frames: [{ s3: 's3://frames-ok/big.jpg' }, { s3: 's3://frames-ok/big.jpg' }] }))).toMatchObject({
      status: 413,
      code: 'payload_too_large',
    });
    expect((await json({ frames: [{ s3: 's3://frames-ok/clip/0.jpg' }, { s3: 's3://frames-ok/clip/1.jpg' }] })).status).toBe(200);
  });
});

describe('client input that used to be 500', () => {
  it('an EXIF-rotated JPEG pair with Accept: image/png renders the upright frame', async () => {
    // Stored 64×48 landscape, displayed 48×64 portrait (orientation 6).
    const rotated = await Promise.all([0, 1].map((i) => sharp(sampleFrame(i)).resize(64, 48).withMetadata({ orientation: 6 }).jpeg().toBuffer()));
    const res = await json({ frames: rotated.map((b) => b.toString('base64')) }, { accept: 'image/png' });
    expect(res.status).toBe(200);
    const meta = await sharp(Buffer.from(await res.arrayBuffer())).metadata();
    expect({ format: meta.format, width: meta.width, height: meta.height }).toEqual({ format: 'png', width: 48, height: 64 });
  });

  it.each([
    ['no boundary', 'multipart/form-data', '--x\r\nContent-Disposition: form-data; name="f"; filename="a.jpg"\r\n\r\nabc\r\n--x--\r\n'],
    ['a wrong boundary', 'multipart/form-data; boundary=y', '--x\r\nContent-Disposition: form-data; name="f"; filename="a.jpg"\r\n\r\nabc\r\n--x--\r\n'],
    ['a truncated body', 'multipart/form-data; boundary=x', '--x\r\nContent-Disposition: form-data; name="f"; filename="a.jpg"\r\n\r\nabcdef'],
  ])('multipart with %s is 400 bad_multipart', async (_why, contentType, body) => {
    expect(await apiError(await post(body, { 'content-type': contentType }))).toMatchObject({ status: 400, code: 'bad_multipart' });
  });

  it('multipart text fields count against VAD_MAX_BODY_MB', async () => {
    // Chunked (no Content-Length), so only the running count can stop it.
    const field = '--x\r\nContent-Disposition: form-data; name="note"\r\n\r\n';
    const chunks = [`POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: multipart/form-data; boundary=x\r\nTransfer-Encoding: chunked\r\n\r\n`];
    const piece = 'a'.repeat(1024 * 1024);
    chunks.push(`${field.length.toString(16)}\r\n${field}\r\n`);
    for (let i = 0; i < 7; i++) chunks.push(`${piece.length.toString(16)}\r\n${piece}\r\n`);
    const { text } = await raw(chunks, 5);
    expect(rawStatus(text)).toEqual({ status: 413, code: 'payload_too_large' });
  });

  it('a JSON body with a UTF-8 byte-order mark is accepted', async () => {
    const res = await post(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(JSON.stringify({ frames: [b64(0), b64(1)] }))]), {
      'content-type': 'application/json',
    });
    expect(res.status).toBe(200);
  });

  it('a video with frames over VAD_MAX_PIXELS is refused from its header, before decoding', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'vad-red-video-'));
    try {
      const out = join(dir, 'big.mp4');
      execFileSync('ffmpeg', [
        '-nostdin',
        '-loglevel',
        'error',
        '-f',
        'lavfi',
        '-i',
        'testsrc=size=1600x1200:rate=5',
        '-frames:v',
        '3',
        '-c:v',
        'libx264',
        '-pix_fmt',
        'yuv420p',
        out,
      ]);
      const e = await apiError(await post(readFileSync(out), { 'content-type': 'video/mp4' }));
      // The worker would say bad_image after decoding; the probe says bad_video with the size.
      expect(e).toMatchObject({ status: 400, code: 'bad_video' });
      expect(e.message).toMatch(/1600x1200/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('transport: timeouts, caps and fastify errors in the API shape', () => {
  it('headers sent one line at a time are cut off with 408 request_timeout', async () => {
    const lines = ['POST /invocations HTTP/1.1\r\n', ...Array.from({ length: 20 }, (_, i) => `X-Slow-${i}: y\r\n`)];
    const { text, ms } = await raw(lines, 400);
    expect(rawStatus(text)).toEqual({ status: 408, code: 'request_timeout' });
    expect(ms).toBeLessThan(5000);
  });

  it('a body at a trickle is cut off with 408 request_timeout', async () => {
    const head = 'POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n';
    const { text, ms } = await raw([head, ...'{"frames": ["aaaaaaaaaaaaaaaaaaaaaaaa'.split('')], 300);
    expect(rawStatus(text)).toEqual({ status: 408, code: 'request_timeout' });
    expect(ms).toBeLessThan(6000);
  });

  it('a bad Content-Length is 400 in the API shape', async () => {
    const { text } = await raw(['POST /invocations HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n']);
    expect(rawStatus(text)).toEqual({ status: 400, code: 'bad_request' });
  });

  it('a 20 KB header is 431 headers_too_large in the API shape', async () => {
    const res = await fetch(`${server.url}/ping`, { headers: { 'x-big': 'a'.repeat(20_000) } });
    expect(await apiError(res)).toMatchObject({ status: 431, code: 'headers_too_large' });
  });

  it(`connections over VAD_MAX_CONNECTIONS (${MAX_CONNECTIONS}) are closed, and the server answers once they go`, async () => {
    const socks: Socket[] = [];
    const closed = await Promise.all(
      Array.from({ length: MAX_CONNECTIONS + 8 }, () => {
        const s = connect(server.port, host);
        socks.push(s);
        s.on('error', () => undefined);
        return new Promise<boolean>((r) => {
          s.on('close', () => r(true));
          setTimeout(() => r(false), 500);
        });
      }),
    );
    expect(closed.filter(Boolean).length).toBeGreaterThanOrEqual(8);
    socks.forEach((s) => s.destroy());
    await new Promise((r) => setTimeout(r, 100));
    expect((await fetch(`${server.url}/ping`)).status).toBe(200);
  });

  it('GET /invocations is 405 with Allow: POST', async () => {
    const res = await fetch(`${server.url}/invocations`);
    expect(res.headers.get('allow')).toBe('POST');
    expect(await apiError(res)).toMatchObject({ status: 405, code: 'method_not_allowed' });
  });
});

describe('refusals stay cheap and say what to do', () => {
  it('429 overloaded carries Retry-After and is not logged per refusal at info', async () => {
    const body = JSON.stringify({ frames: Array.from({ length: 8 }, (_, i) => b64(i)) });
    const answers = await Promise.all(Array.from({ length: 8 }, () => post(body, { 'content-type': 'application/json' })));
    const refused = answers.filter((r) => r.status === 429);
    expect(refused.length).toBeGreaterThan(0);
    for (const r of refused) expect(r.headers.get('retry-after')).toMatch(/^\d+$/);
    await Promise.all(answers.map((r) => r.arrayBuffer()));
    await waitForLog(server, /"msg":"invocation"/);
    expect(
      server
        .logs()
        .split('\n')
        .filter((l) => /"status":429|"code":"overloaded"/.test(l)),
    ).toEqual([]);
  });

  it('a rejected request logs one msg, with the reason under its own key', async () => {
    await post('a,b', { 'content-type': 'text/csv' });
    const line = await waitForLog(server, /"code":"unsupported_media_type".*request rejected|request rejected.*unsupported_media_type/);
    expect(line.match(/"msg":/g)).toHaveLength(1);
    expect(JSON.parse(line)).toMatchObject({ msg: 'request rejected', code: 'unsupported_media_type', reason: expect.stringMatching(/text\/csv/) });
  });

  it('an unknown session says sessions expire a fixed time after NEW_SESSION', async () => {
    const e = await apiError(await post(sampleFrame(0), { 'content-type': 'image/jpeg', 'x-amzn-sagemaker-session-id': 'gone' }));
    expect(e).toMatchObject({ status: 404, code: 'not_found' });
    expect(e.message).not.toMatch(/idle/);
    expect(e.message).toMatch(/from its NEW_SESSION/);
  });
});
