import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ListEndpointConfigsCommand, ListEndpointsCommand, ListModelsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';

/**
 * The deployer's AWS target over the wire: the CLI as a user runs it, the real SDK clients,
 * against moto_server (moto 5.2.1) on loopback through AWS_ENDPOINT_URL. The endpoint is a
 * hostname (`localhost`), so S3 must go path-style. moto differs from AWS here: it returns no
 * DeployedImages (the deploy must say the digest went unverified), and its endpoints are
 * InService at once. A small proxy in front of moto answers one call with an HTML 502, as a load
 * balancer would: the error must name the call and the status.
 */
const REPO = join(__dirname, '../../..');
const ACCOUNT = '123456789012';
const REGION = 'us-east-1';
const CREDS = { AWS_ACCESS_KEY_ID: 'moto', AWS_SECRET_ACCESS_KEY: 'moto', AWS_REGION: REGION, AWS_DEFAULT_REGION: REGION };

function cli(args: string[], env: Record<string, string>, home: string): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['-r', join(REPO, 'tools/ts-register.js'), join(REPO, 'apps/deployer/src/main.ts'), ...args], {
      cwd: home,
      env: { PATH: process.env.PATH, HOME: home, NX_DAEMON: 'false', ...CREDS, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => (out += d));
    child.stderr.on('data', (d: Buffer) => (out += d));
    child.on('exit', (code) => resolve({ code, out }));
  });
}

/** Forwards to moto, except calls whose X-Amz-Target ends with `failTarget`: those get an HTML 502. */
function htmlProxy(motoPort: number, failTarget: string): Promise<{ server: Server; port: number }> {
  const server = createServer((req, res) => {
    if (String(req.headers['x-amz-target'] ?? '').endsWith(failTarget)) {
      req.resume();
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    }
    const up = request({ host: '127.0.0.1', port: motoPort, method: req.method, path: req.url, headers: req.headers }, (r) => {
      res.writeHead(r.statusCode ?? 500, r.headers);
      r.pipe(res);
    });
    req.pipe(up);
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve({ server, port: (server.address() as { port: number }).port })));
}

let moto: ChildProcess;
let endpoint: string;
let motoPort: number;
let home: string;
const imageRepo = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/vad-serve`;

beforeAll(async () => {
  home = mkdtempSync(join(tmpdir(), 'home-issue10-moto-'));
  // loaded lazily: the deployer's module-boundary rule forbids static imports of vad-core
  const { freePort } = await import('@vad/core/testing');
  motoPort = await freePort();
  moto = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(motoPort)], { stdio: 'ignore' });
  endpoint = `http://localhost:${motoPort}`;
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`${endpoint}/moto-api/`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const common = { region: REGION, endpoint, credentials: { accessKeyId: 'moto', secretAccessKey: 'moto' } };
  const s3 = new S3Client({ ...common, forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: 'vad-models' }));
  s3.destroy();
  const ecr = new ECRClient(common);
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'vad-serve' }));
  // moto's ECR stores manifests but runs no registry: a Docker v2 manifest is enough for DescribeImages.
  const manifest = { schemaVersion: 2, mediaType: 'application/vnd.docker.distribution.manifest.v2+json', config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 }, layers: [] };
  await ecr.send(new PutImageCommand({ repositoryName: 'vad-serve', imageManifest: JSON.stringify(manifest), imageManifestMediaType: manifest.mediaType, imageTag: 'v1' }));
  ecr.destroy();
}, 60_000);

afterAll(async () => {
  if (moto && moto.exitCode === null) {
    const exited = new Promise((r) => moto.once('exit', r));
    moto.kill('SIGTERM');
    await exited;
  }
  if (home) rmSync(home, { recursive: true, force: true });
});

const deployArgs = ['-t', 'aws', '--name', 'moto-ep', '--bucket', 'vad-models', '--image', `${imageRepo}:v1`, '--role-arn', `arn:aws:iam::${ACCOUNT}:role/vad`, '--instance-type', 'ml.m5.large', '--poll', '1', '--no-smoke'];

describe('deployer AWS target against moto_server', () => {
  it('deploys to InService (S3 path-style on a hostname endpoint), says the image digest went unverified, reports status, destroys everything', async () => {
    const env = { AWS_ENDPOINT_URL: endpoint };
    const deployed = await cli(['deploy', ...deployArgs], env, home);
    expect([deployed.code, deployed.out]).toEqual([0, expect.stringMatching(/InService/)]);
    expect(deployed.out).toMatch(/s3:\/\/vad-models\/vad-serve\/models\/[0-9a-f]{64}\/model\.tar\.gz/);
    expect(deployed.out).toMatch(/NOT verified: DescribeEndpoint returned no DeployedImages/);

    const status = await cli(['status', '-t', 'aws', '--name', 'moto-ep'], env, home);
    expect([status.code, status.out]).toEqual([0, expect.stringMatching(/InService/)]);

    const destroyed = await cli(['destroy', '-t', 'aws', '--name', 'moto-ep'], env, home);
    expect(destroyed.code).toBe(0);
    const sm = new SageMakerClient({ region: REGION, endpoint, credentials: { accessKeyId: 'moto', secretAccessKey: 'moto' } });
    expect((await sm.send(new ListEndpointsCommand({}))).Endpoints ?? []).toEqual([]);
    expect((await sm.send(new ListEndpointConfigsCommand({}))).EndpointConfigs ?? []).toEqual([]);
    expect((await sm.send(new ListModelsCommand({}))).Models ?? []).toEqual([]);
    sm.destroy();
  });

  it('an HTML error body names the call and the HTTP status', async () => {
    const proxy = await htmlProxy(motoPort, '.DescribeEndpoint');
    try {
      const env = { AWS_ENDPOINT_URL: `http://localhost:${proxy.port}`, AWS_MAX_ATTEMPTS: '1' };
      const r = await cli(['status', '-t', 'aws', '--name', 'moto-ep'], env, home);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/error\[service_unavailable\]: DescribeEndpoint: HTTP 502, body not JSON\/XML: Unexpected token '<'/);
    } finally {
      proxy.server.closeAllConnections();
      proxy.server.close();
    }
  });

  it('the smoke test saves only a PNG as the annotated frame (moto answers what is queued through its endpoint-results hook)', async () => {
    const env = { AWS_ENDPOINT_URL: endpoint };
    const scored = { model: { name: 'm', sha256: 'a'.repeat(64) }, imageSize: [360, 240], results: [{ frame: 1, score: 0.5, regions: [] }], pred_boxes: [[]], box_scores: [[]], pred_scores: [0.5], timingsMs: {} };
    const queued = await fetch(`${endpoint}/moto-api/static/sagemaker/endpoint-results`, {
      method: 'POST',
      body: JSON.stringify({ region: REGION, results: [{ Body: JSON.stringify(scored), ContentType: 'application/json' }, { Body: 'not a picture', ContentType: 'text/plain' }] }),
    });
    expect(queued.status).toBe(201);
    const png = join(home, 'smoke.png');
    const args = deployArgs.filter((a) => a !== '--no-smoke').map((a) => (a === 'moto-ep' ? 'moto-png' : a));
    const r = await cli(['deploy', ...args, '--png', png], env, home);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/answered Accept: image\/png with text\/plain, 13 bytes that are not a PNG .*; nothing written/);
    expect(existsSync(png)).toBe(false);
    expect((await cli(['destroy', '-t', 'aws', '--name', 'moto-png'], env, home)).code).toBe(0);
  });
});
