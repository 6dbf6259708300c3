import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { createServer, Agent, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { NodeHttpHandler } from '@smithy/node-http-handler';
import { mapS3Error, S3FrameFetcher } from './s3-uris';
import { parseS3Uri } from './s3-uri';
import { s3rverClient } from '../../e2e/helpers';

// s3rver on loopback stands in for S3 (toolchain-notes §2: path-style, checksums WHEN_REQUIRED).
let server: S3rver;
let dir: string;
let endpoint: string;
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vad-s3rver-'));
  server = new S3rver({
    port: 0,
    address: '127.0.0.1',
    silent: true,
    directory: dir,
    serviceEndpoint: 'vad.test',
    configureBuckets: [
      { name: 'frames-ok', configs: [] },
      { name: 'frames-other', configs: [] },
    ],
  });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  const put = s3rverClient(endpoint, credentials);
  for (let i = 0; i < 6; i++) await put.send(new PutObjectCommand({ Bucket: 'frames-ok', Key: `clip/${i}.png`, Body: Buffer.from(`frame-${i}`) }));
  await put.send(new PutObjectCommand({ Bucket: 'frames-other', Key: 'x.png', Body: Buffer.from('x') }));
  put.destroy();
});

afterAll(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

const fetcher = (extra: Partial<ConstructorParameters<typeof S3FrameFetcher>[0]> = {}) =>
  new S3FrameFetcher({ endpoint, region: 'us-east-1', concurrency: 3, maxObjectBytes: 1e6, credentials, ...extra });

describe('S3FrameFetcher against s3rver', () => {
  it('fetches in parallel and keeps the request order, mixing bytes and s3 sources', async () => {
    const f = fetcher();
    const out = await f.resolve([
      ...Array.from({ length: 6 }, (_, i) => ({ kind: 's3' as const, uri: `s3://frames-ok/clip/${i}.png` })),
      { kind: 'bytes' as const, bytes: new Uint8Array([1, 2]) },
    ]);
    expect(out.slice(0, 6).map((b) => Buffer.from(b).toString())).toEqual(Array.from({ length: 6 }, (_, i) => `frame-${i}`));
    expect(Array.from(out[6]!)).toEqual([1, 2]);
    f.destroy();
  });

  it('missing objects and buckets are s3_not_found', async () => {
    const f = fetcher();
    await expect(f.resolve([{ kind: 's3', uri: 's3://frames-ok/nope.png' }])).rejects.toMatchObject({ code: 's3_not_found' });
    await expect(f.resolve([{ kind: 's3', uri: 's3://no-such-bucket/x.png' }])).rejects.toMatchObject({ code: 's3_not_found' });
    f.destroy();
  });

  it('buckets outside VAD_S3_ALLOWED_BUCKETS are s3_forbidden without a request', async () => {
    const f = fetcher({ allowedBuckets: ['frames-ok'], endpoint: 'http://127.0.0.1:1' });
    await expect(f.resolve([{ kind: 's3', uri: 's3://frames-other/x.png' }])).rejects.toMatchObject({ code: 's3_forbidden' });
    f.destroy();
  });

  it('credentials the store refuses (403) are s3_forbidden', async () => {
    const f = fetcher({ credentials: { accessKeyId: 'WRONG', secretAccessKey: 'WRONG' } });
    await expect(f.resolve([{ kind: 's3', uri: 's3://frames-ok/clip/0.png' }])).rejects.toMatchObject({ code: 's3_forbidden' });
    f.destroy();
  });

  it('objects over VAD_S3_MAX_OBJECT_MB are payload_too_large', async () => {
    const f = fetcher({ maxObjectBytes: 3 });
    await expect(f.resolve([{ kind: 's3', uri: 's3://frames-ok/clip/0.png' }])).rejects.toMatchObject({ code: 'payload_too_large' });
    f.destroy();
  });
});

describe('parseS3Uri', () => {
  it('splits bucket and key', () => {
    expect(parseS3Uri('s3://frames-ok/clip/0.png')).toEqual({ bucket: 'frames-ok', key: 'clip/0.png' });
    expect(parseS3Uri('s3://a.b-c/k%20x.png')).toEqual({ bucket: 'a.b-c', key: 'k%20x.png' });
  });

  it.each([
    ['dot-dot segment', 's3://frames-ok/../frames-other/x.jpg'],
    ['dot segment', 's3://frames-ok/./x.jpg'],
    ['trailing dot-dot', 's3://frames-ok/a/..'],
    ['empty segment', 's3://frames-ok/a//x.jpg'],
    ['leading slash', 's3://frames-ok//x.jpg'],
    ['trailing slash', 's3://frames-ok/a/'],
    ['encoded slash', 's3://frames-ok/..%2Fframes-other/x.jpg'],
    ['encoded backslash', 's3://frames-ok/a%5cb'],
    ['encoded dot', 's3://frames-ok/%2e%2e/x'],
    ['backslash', 's3://frames-ok/..\\frames-other\\x.jpg'],
    ['control character', 's3://frames-ok/a\u0000b'],
    ['key over 1024 bytes', `s3://frames-ok/${'é'.repeat(513)}`],
    ['no key', 's3://frames-ok'],
    ['empty key', 's3://frames-ok/'],
    ['upper-case bucket', 's3://Frames/x'],
    ['bucket with ..', 's3://a..b/x'],
    ['bucket as IP', 's3://192.168.1.1/x'],
    ['reserved prefix', 's3://xn--abc/x'],
    ['reserved suffix', 's3://abc-s3alias/x'],
    ['not s3', 'http://frames-ok/x'],
  ])('refuses a %s', (_why, uri) => {
    expect(() => parseS3Uri(uri)).toThrow(expect.objectContaining({ code: 'bad_request' }));
  });

  it('takes a key of exactly 1024 bytes', () => {
    expect(parseS3Uri(`s3://frames-ok/${'k'.repeat(1024)}`).key).toHaveLength(1024);
  });
});

describe('S3 URIs a store could resolve elsewhere', () => {
  it('a dot-dot key is refused before a request, with or without an allow-list (it named frames-other/x.png)', async () => {
    for (const f of [fetcher(), fetcher({ allowedBuckets: ['frames-ok'] })]) {
      await expect(f.resolve([{ kind: 's3', uri: 's3://frames-ok/../frames-other/x.png' }])).rejects.toMatchObject({ code: 'bad_request' });
      f.destroy();
    }
  });

  it('virtual-hosted addressing (bucket in the Host) fetches the object and refuses traversal the same way', async () => {
    // Every *.vad.test name resolves to loopback, where s3rver reads the bucket from the Host.
    const lookup = (_host: string, opts: { all?: boolean }, cb: (...a: unknown[]) => void): void =>
      opts.all ? cb(null, [{ address: '127.0.0.1', family: 4 }]) : cb(null, '127.0.0.1', 4);
    const agent = new Agent({ lookup: lookup as never });
    const seen: string[] = [];
    const handler = new NodeHttpHandler({ httpAgent: agent });
    const recording = {
      handle: (req: { hostname: string; path: string }, o: unknown) => (seen.push(`${req.hostname}${req.path}`), handler.handle(req as never, o as never)),
      destroy: () => handler.destroy(),
    };
    const port = new URL(endpoint).port;
    const f = fetcher({ endpoint: `http://s3.vad.test:${port}`, forcePathStyle: false, requestHandler: recording });
    const [bytes] = await f.resolve([{ kind: 's3', uri: 's3://frames-ok/clip/2.png' }]);
    expect(Buffer.from(bytes!).toString()).toBe('frame-2');
    expect(seen).toEqual(['frames-ok.s3.vad.test/clip/2.png']);
    await expect(f.resolve([{ kind: 's3', uri: 's3://frames-ok/../frames-other/x.png' }])).rejects.toMatchObject({ code: 'bad_request' });
    expect(seen).toHaveLength(1);
    f.destroy();
    agent.destroy();
  });
});

/** A loopback HTTP server playing a misbehaving S3 endpoint. */
async function fakeStore(handler: Parameters<typeof createServer>[1]): Promise<{ endpoint: string; server: Server }> {
  const s = createServer(handler);
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  return { endpoint: `http://127.0.0.1:${(s.address() as AddressInfo).port}`, server: s };
}

describe('S3 downloads are bounded', () => {
  it('an object declaring more than VAD_S3_MAX_OBJECT_MB is refused from its headers, before its body arrives', async () => {
    let aborted = false;
    const store = await fakeStore((req, res) => {
      res.writeHead(200, { 'content-length': String(400 * 1024 * 1024), 'content-type': 'image/jpeg' });
      res.write(Buffer.alloc(1024)); // …and then nothing: reading the body in full would hang
      req.socket.on('close', () => (aborted = true));
    });
    const f = fetcher({ endpoint: store.endpoint, maxObjectBytes: 1024 * 1024 });
    await expect(f.resolve([{ kind: 's3', uri: 's3://frames-ok/big.jpg' }])).rejects.toMatchObject({ code: 'payload_too_large' });
    await new Promise((r) => setTimeout(r, 100));
    expect(aborted).toBe(true);
    f.destroy();
    store.server.close();
  });

  it('a body without a length is cut off at the cap while streaming', async () => {
    let sent = 0;
    const store = await fakeStore((_req, res) => {
      res.writeHead(200, { 'content-type': 'image/jpeg', 'transfer-encoding': 'chunked' });
      const pump = (): void => {
        if (res.destroyed || sent > 64 * 1024 * 1024) return void res.end();
        sent += 64 * 1024;
        res.write(Buffer.alloc(64 * 1024), () => setImmediate(pump));
      };
      pump();
    });
    const f = fetcher({ endpoint: store.endpoint, maxObjectBytes: 256 * 1024 });
    await expect(f.resolve([{ kind: 's3', uri: 's3://frames-ok/endless.jpg' }])).rejects.toMatchObject({ code: 'payload_too_large' });
    expect(sent).toBeLessThan(16 * 1024 * 1024);
    f.destroy();
    store.server.close();
  });

  it('the frames of one request share VAD_S3_MAX_REQUEST_MB', async () => {
    const f = fetcher({ maxObjectBytes: 100, maxRequestBytes: 15, concurrency: 1 });
    // Each object is 7 bytes ("frame-i"): two fit in 15, three do not.
    await expect(f.resolve([0, 1].map((i) => ({ kind: 's3' as const, uri: `s3://frames-ok/clip/${i}.png` })))).resolves.toHaveLength(2);
    await expect(f.resolve([0, 1, 2].map((i) => ({ kind: 's3' as const, uri: `s3://frames-ok/clip/${i}.png` })))).rejects.toMatchObject({
      code: 'payload_too_large',
    });
    f.destroy();
  });

  it('downloads of all requests share VAD_S3_MAX_INFLIGHT_MB (over it: overloaded, retry later)', async () => {
    const f = fetcher({ maxObjectBytes: 100, maxInflightBytes: 10, concurrency: 2 });
    await expect(f.resolve([0, 1].map((i) => ({ kind: 's3' as const, uri: `s3://frames-ok/clip/${i}.png` })))).rejects.toMatchObject({ code: 'overloaded' });
    // Nothing stays reserved after a refusal.
    await expect(f.resolve([{ kind: 's3', uri: 's3://frames-ok/clip/0.png' }])).resolves.toHaveLength(1);
    f.destroy();
  });
});

describe('S3 answers other than 403/404', () => {
  it('are s3_rejected (4xx), naming what the store said', async () => {
    const store = await fakeStore((_req, res) => {
      res.writeHead(400, { 'content-type': 'application/xml' });
      res.end('<?xml version="1.0" encoding="UTF-8"?><Error><Code>KeyTooLongError</Code><Message>Your key is too long</Message></Error>');
    });
    const f = fetcher({ endpoint: store.endpoint });
    const err = await f.resolve([{ kind: 's3', uri: 's3://frames-ok/x.jpg' }]).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: 's3_rejected', details: { s3Status: 400, s3Code: 'KeyTooLongError' } });
    f.destroy();
    store.server.close();
  });

  it('keeps 403/404 and network failures as they were', () => {
    expect(mapS3Error({ name: 'NoSuchKey', $metadata: { httpStatusCode: 404 } }, 's3://b/k')).toMatchObject({ code: 's3_not_found' });
    expect(mapS3Error({ name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }, 's3://b/k')).toMatchObject({ code: 's3_forbidden' });
    expect(mapS3Error(new Error('connect ECONNREFUSED'), 's3://b/k')).toMatchObject({ code: 'internal' });
  });
});
