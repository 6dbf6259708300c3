import { createHash, randomBytes } from 'node:crypto';
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { DescribeRepositoriesCommand, ECRClient } from '@aws-sdk/client-ecr';
import { HeadObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { BUCKET, cli, clientConfig, deployArgs, faultProxy, REPO, sagemakerResources, useMoto, type Moto } from './moto';

/**
 * `plan` and the model upload over the wire, against moto_server (moto 5.2.1) through a counting
 * proxy: `plan --target aws` prints the calls a deploy would make and makes only reads; an
 * archive larger than one part (S3's 5 MiB minimum, lib-storage's default part size) goes up as
 * a multipart upload, and a deploy of the same archive under another endpoint name finds it by
 * digest and uploads nothing.
 */
let moto: Moto;
let home: string;

useMoto('home-issue10-moto-plan-', (m, h) => {
  moto = m;
  home = h;
});

async function resourceCounts(endpoint: string): Promise<{ sagemaker: number; s3Objects: number; repositories: number }> {
  const s3 = new S3Client({ ...clientConfig(endpoint), forcePathStyle: true });
  const ecr = new ECRClient(clientConfig(endpoint));
  try {
    return {
      sagemaker: (await sagemakerResources(endpoint)).length,
      s3Objects: (await s3.send(new ListObjectsV2Command({ Bucket: BUCKET }))).KeyCount ?? 0,
      repositories: ((await ecr.send(new DescribeRepositoriesCommand({}))).repositories ?? []).length,
    };
  } finally {
    s3.destroy();
    ecr.destroy();
  }
}

/** The default model plus an incompressible file listed in its manifest: the archive spans two parts. */
function bigModelDir(bytes: number): string {
  const dir = join(home, 'big-model');
  cpSync(join(REPO, 'libs/vad-core/assets/default-model'), dir, { recursive: true });
  const pad = randomBytes(bytes);
  writeFileSync(join(dir, 'padding.bin'), pad);
  const manifest = JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')) as { files: Record<string, string> };
  manifest.files['padding.bin'] = createHash('sha256').update(pad).digest('hex');
  writeFileSync(join(dir, 'manifest.json'), JSON.stringify(manifest, null, 2));
  return dir;
}

const WRITES = /^(Create|Put|Register|Add|Update|Delete|Start|Tag|s3:(PUT|POST|DELETE))/;

describe('deployer plan and upload against moto_server', () => {
  it('plan --target aws lists the calls of a deploy and makes only reads (nothing created)', async () => {
    const before = await resourceCounts(moto.endpoint);
    const proxy = await faultProxy(moto.port);
    try {
      const r = await cli(['plan', ...deployArgs('moto-plan').filter((a) => a !== '--no-smoke')], { AWS_ENDPOINT_URL: proxy.endpoint }, home);
      expect([r.code, r.out]).toEqual([0, expect.stringMatching(/plan: create endpoint moto-plan on aws/)]);
      for (const call of ['s3:HeadObject', 'sagemaker:CreateModel', 'sagemaker:CreateEndpointConfig', 'sagemaker:CreateEndpoint'])
        expect(r.out).toContain(call);
      const calls = [...proxy.counts.keys()];
      // it did ask moto something (the endpoint's state), and nothing that writes
      expect(calls).toContain('DescribeEndpoint');
      expect(calls.filter((c) => WRITES.test(c))).toEqual([]);
    } finally {
      await proxy.close();
    }
    expect(await resourceCounts(moto.endpoint)).toEqual(before);
  });

  it('uploads an archive larger than one part as a multipart upload (a 503 on a part retried once); the same archive is not uploaded again', async () => {
    const model = bigModelDir(6 * 1024 * 1024);
    // one part answered 503 once: the S3 client's own retry (its one layer) sends that part again
    const first = await faultProxy(moto.port, [{ call: 's3:PUT?partNumber&uploadId', fault: 'unavailable', times: 1 }]);
    let key: string;
    try {
      const r = await cli(['deploy', ...deployArgs('moto-big'), '-m', model], { AWS_ENDPOINT_URL: first.endpoint }, home);
      expect([r.code, r.out]).toEqual([0, expect.stringMatching(/InService/)]);
      key = /s3:\/\/vad-models\/(vad-serve\/models\/[0-9a-f]{64}\/model\.tar\.gz)/.exec(r.out)![1]!;
      expect(first.counts.get('s3:POST?uploads')).toBe(1); // CreateMultipartUpload
      expect(first.counts.get('s3:PUT?partNumber&uploadId')).toBe(3); // UploadPart ×2 (5 MiB + the rest), one of them twice
      expect(first.counts.get('s3:POST?uploadId')).toBe(1); // CompleteMultipartUpload
      expect(first.counts.get('s3:PUT')).toBeUndefined(); // no single-request PutObject
    } finally {
      await first.close();
    }
    const s3 = new S3Client({ ...clientConfig(moto.endpoint), forcePathStyle: true });
    const head = await s3.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }));
    s3.destroy();
    expect(head.ContentLength).toBeGreaterThan(6 * 1024 * 1024);
    expect(head.Metadata?.['sha256']).toBe(key.split('/')[2]);

    const again = await faultProxy(moto.port);
    try {
      const r = await cli(['deploy', ...deployArgs('moto-big-2'), '-m', model], { AWS_ENDPOINT_URL: again.endpoint }, home);
      expect([r.code, r.out]).toEqual([0, expect.stringContaining(`s3://${BUCKET}/${key} (already there)`)]);
      expect(again.counts.get('s3:HEAD')).toBe(1);
      expect([...again.counts.keys()].filter((c) => c.startsWith('s3:') && c !== 's3:HEAD')).toEqual([]);
    } finally {
      await again.close();
    }
    for (const name of ['moto-big', 'moto-big-2'])
      expect((await cli(['destroy', '-t', 'aws', '--name', name], { AWS_ENDPOINT_URL: moto.endpoint }, home)).code).toBe(0);
    expect(await sagemakerResources(moto.endpoint)).toEqual([]);
  });
});
