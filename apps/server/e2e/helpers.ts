import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { freePort } from '@vad/core/testing';

export { freePort };

export const REPO = join(__dirname, '../../..');
export const SAMPLE_CLIP = join(REPO, 'libs/vad-core/assets/sample-clip');

export interface RunningServer {
  url: string;
  port: number;
  child: ChildProcess;
  logs: () => string;
  /** Resolves with the exit code. */
  exited: Promise<number | null>;
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

/**
 * Spawns the real server process on loopback: from the TypeScript sources (`source`, no build
 * needed) or through the image's start command `bin/serve serve` over the esbuild bundle (`bundle`).
 */
export async function startServer(env: Record<string, string> = {}, how: 'source' | 'bundle' = 'source'): Promise<RunningServer> {
  const port = await freePort();
  const fullEnv = { ...process.env, VAD_HOST: '127.0.0.1', SAGEMAKER_BIND_TO_PORT: String(port), VAD_LOG_LEVEL: 'info', VAD_WORKERS: '1', ...env };
  const child =
    how === 'source'
      ? spawn(process.execPath, ['-r', join(REPO, 'tools/ts-register.js'), join(REPO, 'apps/server/src/main.ts'), 'serve'], {
          env: fullEnv,
          stdio: ['ignore', 'pipe', 'pipe'],
        })
      : spawn(join(REPO, 'dist/apps/server/bin/serve'), ['serve'], { env: fullEnv, stdio: ['ignore', 'pipe', 'pipe'], cwd: '/' });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d.toString()).slice(-200_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    port,
    child,
    logs: () => out,
    exited,
    async stop(signal: NodeJS.Signals = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 30_000);
      const code = await exited;
      clearTimeout(timer);
      return code;
    },
  };
}

/** Polls /ping until `status` (or throws with the server's log). */
export async function waitForPing(server: RunningServer, status = 200, timeoutMs = 90_000): Promise<{ ms: number; body: string }> {
  const t0 = Date.now();
  let last = '';
  while (Date.now() - t0 < timeoutMs) {
    if (server.child.exitCode !== null) throw new Error(`server exited (${server.child.exitCode}):\n${server.logs()}`);
    try {
      const res = await fetch(`${server.url}/ping`);
      const body = await res.text();
      last = `${res.status} ${body}`;
      if (res.status === status) return { ms: Date.now() - t0, body };
    } catch (e) {
      last = String(e);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`/ping never answered ${status} (last: ${last}):\n${server.logs()}`);
}

export async function rss(server: RunningServer): Promise<number> {
  const text = await (await fetch(`${server.url}/metrics`)).text();
  return Number(/^process_resident_memory_bytes (\d+)/m.exec(text)![1]);
}

/** The first log line matching `re`. Logs travel on stdout, a separate pipe from the socket, so they may trail an HTTP answer. */
export async function waitForLog(server: RunningServer, re: RegExp, timeoutMs = 5_000): Promise<string> {
  const t0 = Date.now();
  for (;;) {
    const line = server
      .logs()
      .split('\n')
      .find((l) => re.test(l));
    if (line !== undefined) return line;
    if (Date.now() - t0 > timeoutMs) throw new Error(`no log line matching ${re} in ${timeoutMs} ms:\n${server.logs()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Frame i of the bundled sample clip, as JPEG bytes. */
export function sampleFrame(i: number): Buffer {
  return readFileSync(join(SAMPLE_CLIP, `frame_${String(i).padStart(4, '0')}.jpg`));
}

/**
 * An S3 client for s3rver: path-style, checksums WHEN_REQUIRED (with the SDK's defaults s3rver
 * stores wrong bytes for streamed bodies; toolchain-notes §2).
 */
export function s3rverClient(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): S3Client {
  return new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

export interface LocalS3 {
  /** The environment that points the server's S3 client at this store. */
  env: Record<string, string>;
  close(): Promise<void>;
}

/**
 * s3rver on loopback standing in for S3, holding `objects` ("bucket/key" → bytes). Checksums are
 * WHEN_REQUIRED: with the SDK's defaults s3rver stores wrong bytes for streamed bodies.
 */
export async function startLocalS3(buckets: string[], objects: Record<string, Uint8Array>): Promise<LocalS3> {
  const dir = mkdtempSync(join(tmpdir(), 'vad-e2e-s3-'));
  const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: buckets.map((name) => ({ name, configs: [] })) });
  const { port } = await s3.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const put = s3rverClient(endpoint, credentials);
  try {
    for (const [path, body] of Object.entries(objects)) {
      const slash = path.indexOf('/');
      await put.send(new PutObjectCommand({ Bucket: path.slice(0, slash), Key: path.slice(slash + 1), Body: body }));
    }
  } finally {
    put.destroy();
  }
  return {
    env: {
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_REGION: 'us-east-1',
    },
    close: async () => {
      await s3.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** The real server with S3 frames from s3rver on loopback; `stop()` ends both and gives the server's exit code. */
export async function startServerWithS3(
  buckets: string[],
  objects: Record<string, Uint8Array>,
  env: (s3env: Record<string, string>) => Record<string, string>,
): Promise<{ server: RunningServer; stop: () => Promise<number | null> }> {
  const s3 = await startLocalS3(buckets, objects);
  const server = await startServer(env(s3.env));
  await waitForPing(server);
  return {
    server,
    stop: async () => {
      const code = await server.stop();
      await s3.close();
      return code;
    },
  };
}
