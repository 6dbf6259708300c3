import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
// s3rver ships no types; it is a test-only S3 on loopback.
const S3rver = require('s3rver') as new (o: Record<string, unknown>) => { run(): Promise<{ address: string; port: number }>; close(): Promise<void> };
import { NotFoundError, ValidationError } from '../errors';
import { createS3Client } from './clients';
import { listS3Keys } from './s3-list';

/** What a Batch Transform job over a prefix will read: listed from a real S3 API (s3rver). */
describe('listS3Keys (s3rver on loopback)', () => {
  let dir: string;
  let server: InstanceType<typeof S3rver>;
  let client: S3Client;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vad-s3-list-'));
    server = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: join(dir, 's3'), configureBuckets: [{ name: 'inputs' }] });
    const { port } = await server.run();
    client = createS3Client({ region: 'us-east-1', endpoint: `http://127.0.0.1:${port}`, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } });
    for (const key of ['batch/a.mp4', 'batch/sub/b.json', 'batch/folder/', 'other/c.mp4'])
      await client.send(new PutObjectCommand({ Bucket: 'inputs', Key: key, Body: 'x' }));
  });
  afterAll(async () => {
    client?.destroy();
    await server?.close();
    await rm(dir, { recursive: true, force: true });
  });

  it('lists the objects under the prefix, folder markers left out', async () => {
    const r = await listS3Keys(client, 's3://inputs/batch/');
    expect(r.keys.sort()).toEqual(['batch/a.mp4', 'batch/sub/b.json']);
    expect(r.truncated).toBe(false);
  });

  it('stops at max and says so', async () => {
    const r = await listS3Keys(client, 's3://inputs/batch/', 1);
    expect(r.keys).toHaveLength(1);
    expect(r.truncated).toBe(true);
  });

  it('a missing bucket is NotFound, a bad URI a ValidationError', async () => {
    await expect(listS3Keys(client, 's3://no-such-bucket/x/')).rejects.toBeInstanceOf(NotFoundError);
    await expect(listS3Keys(client, 'https://inputs/x')).rejects.toBeInstanceOf(ValidationError);
  });
});
