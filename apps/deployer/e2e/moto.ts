import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import { join } from 'node:path';
import { CreateRepositoryCommand, ECRClient, PutImageCommand } from '@aws-sdk/client-ecr';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { ListEndpointConfigsCommand, ListEndpointsCommand, ListModelsCommand, ListTagsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';

/**
 * What the moto e2e specs share: moto_server (moto 5.2.1) on an ephemeral loopback port, seeded
 * with a bucket and an ECR image; the deployer CLI run as a user runs it; a loopback proxy in
 * front of moto that counts requests per call and injects faults on chosen calls; a listing of
 * the SageMaker resources left with their tags.
 */
export const REPO = join(__dirname, '../../..');
export const ACCOUNT = '123456789012';
export const REGION = 'us-east-1';
export const BUCKET = 'vad-models';
export const IMAGE_REPO = `${ACCOUNT}.dkr.ecr.${REGION}.amazonaws.com/vad-serve`;
const CREDS = { AWS_ACCESS_KEY_ID: 'moto', AWS_SECRET_ACCESS_KEY: 'moto', AWS_REGION: REGION, AWS_DEFAULT_REGION: REGION };
export const clientConfig = (endpoint: string) => ({ region: REGION, endpoint, credentials: { accessKeyId: 'moto', secretAccessKey: 'moto' } });

/** `deploy`'s flags for an endpoint `name` on the seeded image, bucket and a CPU type moto lists. */
export const deployArgs = (name: string): string[] => [
  '-t',
  'aws',
  '--name',
  name,
  '--bucket',
  BUCKET,
  '--image',
  `${IMAGE_REPO}:v1`,
  '--role-arn',
  `arn:aws:iam::${ACCOUNT}:role/vad`,
  '--instance-type',
  'ml.m5.large',
  '--poll',
  '1',
  '--no-smoke',
];

export function cli(args: string[], env: Record<string, string>, home: string): Promise<{ code: number | null; out: string }> {
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

export interface Moto {
  readonly port: number;
  /** `http://localhost:<port>`: a hostname, so S3 must go path-style. */
  readonly endpoint: string;
  stop(): Promise<void>;
}

/** Starts moto_server and seeds the bucket and an ECR image `vad-serve:v1`. */
export async function startMoto(): Promise<Moto> {
  // loaded lazily: the deployer's module-boundary rule forbids static imports of vad-core
  const { freePort } = await import('@vad/core/testing');
  const port = await freePort();
  const child: ChildProcess = spawn('moto_server', ['-H', '127.0.0.1', '-p', String(port)], { stdio: 'ignore' });
  const endpoint = `http://localhost:${port}`;
  for (let i = 0; i < 200; i++) {
    const ok = await fetch(`${endpoint}/moto-api/`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  const s3 = new S3Client({ ...clientConfig(endpoint), forcePathStyle: true });
  await s3.send(new CreateBucketCommand({ Bucket: BUCKET }));
  s3.destroy();
  const ecr = new ECRClient(clientConfig(endpoint));
  await ecr.send(new CreateRepositoryCommand({ repositoryName: 'vad-serve' }));
  // moto's ECR stores manifests but runs no registry: a Docker v2 manifest is enough for DescribeImages.
  const manifest = {
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { mediaType: 'application/vnd.docker.container.image.v1+json', digest: `sha256:${'a'.repeat(64)}`, size: 2 },
    layers: [],
  };
  await ecr.send(
    new PutImageCommand({ repositoryName: 'vad-serve', imageManifest: JSON.stringify(manifest), imageManifestMediaType: manifest.mediaType, imageTag: 'v1' }),
  );
  ecr.destroy();
  return {
    port,
    endpoint,
    async stop() {
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

/**
 * A spec's moto and HOME: started before its tests (a fresh moto per spec file, so resource
 * counts are the spec's own), stopped and removed after them.
 */
export function useMoto(homePrefix: string, ready: (moto: Moto, home: string) => void): void {
  let moto: Moto | undefined;
  let home: string | undefined;
  beforeAll(async () => {
    home = mkdtempSync(join(tmpdir(), homePrefix));
    moto = await startMoto();
    ready(moto, home);
  }, 60_000);
  afterAll(async () => {
    await moto?.stop();
    if (home) rmSync(home, { recursive: true, force: true });
  });
}

/**
 * The call a request makes: the JSON protocols' X-Amz-Target operation (`CreateModel`), or for
 * S3's REST API `s3:<METHOD>` plus its query keys (`s3:PUT?partNumber&uploadId`).
 */
export function callName(req: IncomingMessage): string {
  const target = String(req.headers['x-amz-target'] ?? '');
  if (target) return target.slice(target.lastIndexOf('.') + 1);
  const keys = [...new URL(req.url ?? '/', 'http://x').searchParams.keys()].filter((k) => !k.startsWith('x-id')).sort();
  return `s3:${req.method}${keys.length ? `?${keys.join('&')}` : ''}`;
}

export type Fault = 'throttle' | 'unavailable' | 'drop' | 'slow' | 'html502';

export interface FaultRule {
  /** The call (see callName) this rule applies to. */
  readonly call: string;
  readonly fault: Fault;
  /** The first `times` requests of that call get the fault (default: every one). */
  readonly times?: number;
  /** `drop` after moto has handled the request (the answer is lost, the change is made). */
  readonly afterForward?: boolean;
}

export interface FaultProxy {
  readonly endpoint: string;
  /** Requests seen per call, faulted ones included. */
  readonly counts: Map<string, number>;
  readonly faulted: Map<string, number>;
  close(): Promise<void>;
}

const SLOW_MS = 1500;

/** A loopback proxy in front of moto that counts requests per call and injects the rules' faults. */
export function faultProxy(motoPort: number, rules: readonly FaultRule[] = []): Promise<FaultProxy> {
  const counts = new Map<string, number>();
  const faulted = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    const call = callName(req);
    const n = (counts.get(call) ?? 0) + 1;
    counts.set(call, n);
    const rule = rules.find((r) => r.call === call && (r.times === undefined || n <= r.times));
    if (rule) faulted.set(call, (faulted.get(call) ?? 0) + 1);
    const forward = (onAnswer?: () => void): void => {
      const up = request({ host: '127.0.0.1', port: motoPort, method: req.method, path: req.url, headers: req.headers }, (r) => {
        if (onAnswer) {
          r.resume();
          r.on('end', onAnswer);
          return;
        }
        res.writeHead(r.statusCode ?? 500, r.headers);
        r.pipe(res);
      });
      req.pipe(up);
    };
    const json = (status: number, type: string, message: string): void => {
      req.resume();
      res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-requestid': `fault-${n}` }).end(JSON.stringify({ __type: type, message }));
    };
    if (!rule) return forward();
    if (rule.fault === 'throttle') return json(400, 'ThrottlingException', 'Rate exceeded');
    if (rule.fault === 'unavailable') return json(503, 'ServiceUnavailable', 'Service is temporarily unavailable');
    if (rule.fault === 'html502') {
      req.resume();
      res.writeHead(502, { 'content-type': 'text/html' }).end('<html><body><h1>502 Bad Gateway</h1></body></html>');
      return;
    }
    if (rule.fault === 'slow') return void setTimeout(() => forward(), SLOW_MS);
    // drop: the connection closes without an answer, before or after moto made the change
    if (rule.afterForward) return forward(() => req.socket.destroy());
    req.resume();
    req.socket.destroy();
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () =>
      resolve({
        endpoint: `http://localhost:${(server.address() as { port: number }).port}`,
        counts,
        faulted,
        close: () =>
          new Promise<void>((r) => {
            server.closeAllConnections();
            server.close(() => r());
          }),
      }),
    ),
  );
}

export interface LeftResource {
  readonly kind: 'endpoint' | 'endpoint-config' | 'model';
  readonly name: string;
  readonly tags: Record<string, string>;
  readonly status?: string;
}

/** Every SageMaker endpoint, config and model in moto, with its tags (straight to moto, no proxy). */
export async function sagemakerResources(endpoint: string): Promise<LeftResource[]> {
  const sm = new SageMakerClient(clientConfig(endpoint));
  try {
    const tagsOf = async (arn: string | undefined) =>
      Object.fromEntries(((await sm.send(new ListTagsCommand({ ResourceArn: arn }))).Tags ?? []).map((t) => [t.Key ?? '', t.Value ?? '']));
    const out: LeftResource[] = [];
    for (const e of (await sm.send(new ListEndpointsCommand({}))).Endpoints ?? [])
      out.push({ kind: 'endpoint', name: e.EndpointName ?? '', status: e.EndpointStatus, tags: await tagsOf(e.EndpointArn) });
    for (const c of (await sm.send(new ListEndpointConfigsCommand({}))).EndpointConfigs ?? [])
      out.push({ kind: 'endpoint-config', name: c.EndpointConfigName ?? '', tags: await tagsOf(c.EndpointConfigArn) });
    for (const m of (await sm.send(new ListModelsCommand({}))).Models ?? [])
      out.push({ kind: 'model', name: m.ModelName ?? '', tags: await tagsOf(m.ModelArn) });
    return out;
  } finally {
    sm.destroy();
  }
}
