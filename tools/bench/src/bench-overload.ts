/**
 * Overload benchmark (prints numbers, asserts nothing; loopback only, bounded in time):
 *   1. goodput (200 answers per second) of two-frame clips at saturation (closed loop, 2 clients
 *      per worker), then at 3× that rate offered open-loop by 200 clients — the 429 storm of
 *      issue 13 — with /ping p50/p99 probed meanwhile by one more client;
 *   2. peak RSS (VmHWM) while clients send frames naming an S3 object over VAD_S3_MAX_OBJECT_MB,
 *      served by s3rver on loopback (goal: under 300 MiB).
 * Runs the bundle (dist/apps/server/bin/serve) when built, else the sources.
 *   npx nx run bench:overload -- --seconds 10 --object-mb 200 --oversize-requests 64
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { availableParallelism, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import S3rver from 's3rver';
import { arg, autocannon, freePort, percentile, REPO } from './bench-util';

const SECONDS = arg('seconds', 10);
const OBJECT_MB = arg('object-mb', 200);
const OVERSIZE_REQUESTS = arg('oversize-requests', 64);

async function start(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; how: string }> {
  const port = await freePort();
  const how = existsSync(join(REPO, 'dist/apps/server/main.js')) ? 'bundle' : 'source';
  const fullEnv = { ...process.env, VAD_HOST: '127.0.0.1', SAGEMAKER_BIND_TO_PORT: String(port), VAD_LOG_LEVEL: 'info', ...env };
  // Logs go to /dev/null at info, as a container's stdout would take them: their cost is measured.
  const child =
    how === 'bundle'
      ? spawn(join(REPO, 'dist/apps/server/bin/serve'), ['serve'], { env: fullEnv, stdio: ['ignore', 'ignore', 'inherit'] })
      : spawn(process.execPath, ['-r', join(REPO, 'tools/ts-register.js'), join(REPO, 'apps/server/src/main.ts')], {
          env: fullEnv,
          stdio: ['ignore', 'ignore', 'inherit'],
        });
  const url = `http://127.0.0.1:${port}`;
  const t0 = Date.now();
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (Date.now() - t0 > 120_000) throw new Error('server not healthy after 120 s');
    if (
      await fetch(`${url}/ping`).then(
        (r) => r.status === 200,
        () => false,
      )
    )
      return { child, url, how };
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

async function run(opts: Record<string, unknown>): Promise<{ status: Map<number, number>; latencies: number[]; duration: number; errors: number }> {
  const status = new Map<number, number>();
  const latencies: number[] = [];
  const inst = autocannon({ timeout: 70, ...opts });
  inst.on('response', (_c, code, _b, ms) => {
    status.set(code, (status.get(code) ?? 0) + 1);
    if (code === 200) latencies.push(ms);
  });
  const r = await inst;
  latencies.sort((a, b) => a - b);
  return { status, latencies, duration: r.duration, errors: r.errors };
}

/** Peak resident set of a process (kernel's high-water mark), MiB. */
const peakRssMiB = (pid: number): number => Number(/VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;
const rssMiB = (pid: number): number => Number(/VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) / 1024;

async function overload(): Promise<void> {
  const frames = [0, 1].map((i) => readFileSync(join(REPO, `libs/vad-core/assets/sample-clip/frame_${String(i).padStart(4, '0')}.jpg`)).toString('base64'));
  const body = JSON.stringify({ frames });
  const { child, url, how } = await start({});
  try {
    const params = (await (await fetch(`${url}/execution-parameters`)).json()) as Record<string, unknown>;
    const workers = Number((await (await fetch(`${url}/metrics`)).text()).match(/^vad_workers (\d+)/m)?.[1] ?? 1);
    console.log(
      `server: ${how}; ${workers} worker(s); ${JSON.stringify(params)}; node ${process.version}; load ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${availableParallelism()} CPUs`,
    );
    const invoke = { url: `${url}/invocations`, method: 'POST', headers: { 'content-type': 'application/json' }, body };
    await run({ ...invoke, connections: 2, duration: 2 }); // warm-up

    const sat = await run({ ...invoke, connections: 2 * workers, duration: SECONDS });
    const satRate = (sat.status.get(200) ?? 0) / sat.duration;
    console.log(`saturated (${2 * workers} closed-loop clients): goodput ${satRate.toFixed(1)}/s`);

    const offered = Math.max(3, Math.round(3 * satRate));
    const [over, ping] = await Promise.all([
      run({ ...invoke, connections: 200, overallRate: offered, duration: SECONDS }),
      run({ url: `${url}/ping`, connections: 1, duration: SECONDS }),
    ]);
    const good = (over.status.get(200) ?? 0) / over.duration;
    const refused = over.status.get(429) ?? 0;
    const other = [...over.status.entries()].filter(([s]) => s !== 200 && s !== 429).reduce((n, [, v]) => n + v, 0) + over.errors;
    console.log(
      `3× overload (${offered}/s offered by 200 clients): goodput ${good.toFixed(1)}/s = ${((100 * good) / satRate).toFixed(0)} % of saturated (goal ≥ 90 %); ` +
        `${refused} × 429, ${other} other`,
    );
    console.log(
      `/ping under overload: p50 ${percentile(ping.latencies, 50).toFixed(2)} ms, p99 ${percentile(ping.latencies, 99).toFixed(2)} ms over ${ping.latencies.length} pings (goal p99 < 5 ms)`,
    );
  } finally {
    await stop(child);
  }
}

async function oversizeS3(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vad-bench-s3-'));
  const s3 = new S3rver({ port: 0, address: '127.0.0.1', silent: true, directory: dir, configureBuckets: [{ name: 'frames', configs: [] }] });
  const { port } = await s3.run();
  const endpoint = `http://127.0.0.1:${port}`;
  const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
  const put = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  await put.send(new PutObjectCommand({ Bucket: 'frames', Key: 'huge.jpg', Body: Buffer.alloc(OBJECT_MB * 1024 * 1024, 0xff) }));
  put.destroy();
  const { child, url } = await start({
    AWS_ENDPOINT_URL_S3: endpoint,
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_REGION: 'us-east-1',
    VAD_S3_MAX_OBJECT_MB: '50',
  });
  try {
    const before = rssMiB(child.pid!);
    const body = JSON.stringify({ frames: ['s3://frames/huge.jpg', 's3://frames/huge.jpg'] });
    const r = await run({
      url: `${url}/invocations`,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body,
      connections: Math.min(8, OVERSIZE_REQUESTS),
      amount: OVERSIZE_REQUESTS,
    });
    const codes = [...r.status.entries()].map(([s, n]) => `${s}×${n}`).join(' ');
    console.log(
      `oversize S3 (${OBJECT_MB} MB object, 2 references a request, ${OVERSIZE_REQUESTS} requests by ${Math.min(8, OVERSIZE_REQUESTS)} clients): RSS ${before.toFixed(0)} MiB before, peak ${peakRssMiB(child.pid!).toFixed(0)} MiB (goal < 300 MiB); answers ${codes}`,
    );
  } finally {
    await stop(child);
    await s3.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main(): Promise<void> {
  await overload();
  await oversizeS3();
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
