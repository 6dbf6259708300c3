import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { S3FrameFetcher } from './s3-uris';

// s3rver on loopback stands in for S3 (toolchain-notes §2: path-style, checksums WHEN_REQUIRED).
let server: S3rver;
let dir: string;
let endpoint: string;
const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vad-s3rver-'));
  server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'frames-ok', configs: [] }, { name: 'frames-other', configs: [] }] });
  const { port } = await server.run();
  endpoint = `http://127.0.0.1:${port}`;
  const put = new S3Client({ endpoint, region: 'us-east-1', forcePathStyle: true, credentials, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
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
