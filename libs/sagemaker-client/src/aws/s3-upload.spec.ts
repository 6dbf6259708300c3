import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createHash } from 'node:crypto';
import { GetObjectCommand, HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3';
// s3rver ships no types; it is a test-only S3 on loopback.
const S3rver = require('s3rver') as new (o: Record<string, unknown>) => { run(): Promise<{ address: string; port: number }>; close(): Promise<void> };
import { createS3Client } from './clients';
import { uploadArtifact, type UploadProgress } from './s3-upload';

/** S3 upload against s3rver on loopback: multipart, progress events, digest in the key, re-run skipped. */
describe('uploadArtifact (s3rver on loopback)', () => {
  let dir: string;
  let server: InstanceType<typeof S3rver>;
  let client: S3Client;
  const bucket = 'vad-artifacts';

  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vad-s3-'));
    server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: bucket }] });
    const { port } = await server.run();
    client = createS3Client({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
  });

  afterAll(async () => {
    client?.destroy();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('uploads in ≥ 2 parts with progress, under a key carrying the sha256, and the bytes read back equal', async () => {
    const data = randomBytes(11 * 1024 * 1024 + 123);
    const file = join(dir, 'model.tar.gz');
    await writeFile(file, data);
    const sha = createHash('sha256').update(data).digest('hex');

    const progress: UploadProgress[] = [];
    const r = await uploadArtifact({ client, bucket, prefix: 'vad-serve/models/', file, partSize: 5 * 1024 * 1024, onProgress: (p) => progress.push(p) });
    expect(r).toMatchObject({
      bucket,
      key: `vad-serve/models/${sha}/model.tar.gz`,
      uri: `s3://${bucket}/vad-serve/models/${sha}/model.tar.gz`,
      sha256: sha,
      bytes: data.length,
      skipped: false,
    });

    const parts = new Set(progress.map((p) => p.part).filter((p) => p !== undefined));
    expect(parts.size).toBeGreaterThanOrEqual(2);
    expect(progress[progress.length - 1]!.loaded).toBe(data.length);
    expect(progress.every((p) => p.total === data.length)).toBe(true);

    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: r.key }));
    const back = Buffer.from(await got.Body!.transformToByteArray());
    expect(back.length).toBe(data.length);
    expect(createHash('sha256').update(back).digest('hex')).toBe(sha);
    const head = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: r.key }));
    expect(head.Metadata?.['sha256']).toBe(sha);

    // The same artifact again: found by its digest, nothing uploaded.
    const again = await uploadArtifact({ client, bucket, prefix: 'vad-serve/models', file });
    expect(again).toMatchObject({ key: r.key, skipped: true });
  });

  it('small files go up in one PutObject', async () => {
    const file = join(dir, 'small.tar.gz');
    await writeFile(file, 'tiny');
    const r = await uploadArtifact({ client, bucket, file, fileName: 'small.tar.gz' });
    const got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: r.key }));
    expect(await got.Body!.transformToString()).toBe('tiny');
  });
});
