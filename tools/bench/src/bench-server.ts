/**
 * Server benchmark (prints numbers, asserts nothing; loopback only, bounded in time):
 *   1. time from process start to a healthy /ping (default model), over several starts;
 *   2. two-frame clips (POST /invocations, JSON base64) at 1, 4, 16, 64 concurrent clients:
 *      throughput of 200s, p50/p99 latency of 200s, count of 429s, and /ping p50/p99 probed by a
 *      separate client meanwhile (the workers are saturated from 4 clients on);
 *   3. RSS after N more two-frame clips (default 10 000, capped by --rss-seconds).
 * Runs the bundle (dist/apps/server/bin/serve, as the image does) when built, else the sources.
 *   npx nx run bench:server -- --seconds 10 --rss-requests 10000 --rss-seconds 300 --starts 3
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { availableParallelism, loadavg } from 'node:os';
import { join } from 'node:path';
import { arg, autocannon, freePort, percentile, REPO, type AutocannonResult } from './bench-util';

const SECONDS = arg('seconds', 10);
const RSS_REQUESTS = arg('rss-requests', 10_000);
const RSS_SECONDS = arg('rss-seconds', 300);
const STARTS = arg('starts', 3);
const CONCURRENCY = [1, 4, 16, 64];

async function start(port: number): Promise<{ child: ChildProcess; healthyMs: number; how: string }> {
  const bundle = join(REPO, 'dist/apps/server/bin/serve');
  const how = existsSync(join(REPO, 'dist/apps/server/main.js')) ? 'bundle' : 'source';
  const env = { ...process.env, VAD_HOST: '127.0.0.1', SAGEMAKER_BIND_TO_PORT: String(port), VAD_LOG_LEVEL: 'warn' };
  const t0 = performance.now();
  const child =
    how === 'bundle'
      ? spawn(bundle, ['serve'], { env, stdio: ['ignore', 'inherit', 'inherit'] })
      : spawn(process.execPath, ['-r', join(REPO, 'tools/ts-register.js'), join(REPO, 'apps/server/src/main.ts')], {
          env,
          stdio: ['ignore', 'inherit', 'inherit'],
        });
  for (;;) {
    if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode}`);
    if (performance.now() - t0 > 120_000) throw new Error('server not healthy after 120 s');
    const ok = await fetch(`http://127.0.0.1:${port}/ping`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) return { child, healthyMs: performance.now() - t0, how };
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function run(opts: Record<string, unknown>): Promise<{ result: AutocannonResult; okLatencies: number[]; status: Map<number, number> }> {
  const okLatencies: number[] = [];
  const status = new Map<number, number>();
  const inst = autocannon(opts);
  inst.on('response', (_c, code, _b, ms) => {
    status.set(code, (status.get(code) ?? 0) + 1);
    if (code === 200) okLatencies.push(ms);
  });
  const result = await inst;
  okLatencies.sort((a, b) => a - b);
  return { result, okLatencies, status };
}

async function rss(url: string): Promise<number> {
  const text = await (await fetch(`${url}/metrics`)).text();
  return Number(/^process_resident_memory_bytes (\d+)/m.exec(text)?.[1] ?? NaN);
}

const mib = (b: number): string => `${(b / 2 ** 20).toFixed(0)} MiB`;

async function main(): Promise<void> {
  const frames = [0, 1].map((i) => readFileSync(join(REPO, `libs/vad-core/assets/sample-clip/frame_${String(i).padStart(4, '0')}.jpg`)).toString('base64'));
  const body = JSON.stringify({ frames });

  // Start-up: several cold starts (each a fresh process), the last one kept for the load.
  const starts: number[] = [];
  let server: Awaited<ReturnType<typeof start>> | undefined;
  let port = 0;
  for (let i = 0; i < STARTS; i++) {
    if (server) {
      const exited = new Promise((r) => server!.child.once('exit', r));
      server.child.kill('SIGTERM');
      await exited;
    }
    port = await freePort();
    server = await start(port);
    starts.push(server.healthyMs);
  }
  const { child, how } = server!;
  const url = `http://127.0.0.1:${port}`;
  const stop = (): void => {
    if (child.exitCode === null) child.kill('SIGTERM');
  };
  process.on('exit', stop);
  try {
    const params = await (await fetch(`${url}/execution-parameters`)).json();
    console.log(
      `server: ${how}; execution-parameters ${JSON.stringify(params)}; node ${process.version}; load average ${loadavg()
        .map((l) => l.toFixed(1))
        .join(' ')} on ${availableParallelism()} CPUs`,
    );
    console.log(`start → healthy /ping: ${starts.map((ms) => `${ms.toFixed(0)} ms`).join(', ')} (goal < 3000 ms)`);
    const rssHealthy = await rss(url);
    const invoke = { url: `${url}/invocations`, method: 'POST', headers: { 'content-type': 'application/json' }, body, duration: SECONDS, timeout: 70 };

    // Warm the JIT and the workers before measuring.
    await run({ ...invoke, connections: 2, duration: 2 });
    console.log(`\ntwo-frame clips, ${SECONDS} s per level (latency of 200 answers only); /ping probed by one more client meanwhile:`);
    console.log('clients   ok/s   p50 ms   p99 ms    200s    429s  other   ping p50 ms  ping p99 ms  pings');
    let served = 0;
    for (const c of CONCURRENCY) {
      const [r, ping] = await Promise.all([run({ ...invoke, connections: c }), run({ url: `${url}/ping`, connections: 1, duration: SECONDS })]);
      const ok = r.status.get(200) ?? 0;
      const overloaded = r.status.get(429) ?? 0;
      const other = [...r.status.entries()].filter(([s]) => s !== 200 && s !== 429).reduce((n, [, v]) => n + v, 0) + r.result.errors;
      served += [...r.status.values()].reduce((a, b) => a + b, 0) + ping.okLatencies.length;
      const cols = [
        String(c).padStart(7),
        (ok / r.result.duration).toFixed(1).padStart(6),
        percentile(r.okLatencies, 50).toFixed(0).padStart(8),
        percentile(r.okLatencies, 99).toFixed(0).padStart(8),
        String(ok).padStart(7),
        String(overloaded).padStart(7),
        String(other).padStart(6),
        percentile(ping.okLatencies, 50).toFixed(2).padStart(13),
        percentile(ping.okLatencies, 99).toFixed(2).padStart(12),
        String(ping.okLatencies.length).padStart(6),
      ];
      console.log(cols.join(' '));
    }
    console.log('(/ping goal while saturated: p99 < 5 ms)');

    const before = await rss(url);
    const t0 = performance.now();
    const r = await run({ ...invoke, connections: 8, duration: RSS_SECONDS, maxOverallRequests: RSS_REQUESTS });
    const done = [...r.status.values()].reduce((a, b) => a + b, 0);
    const ok = r.status.get(200) ?? 0;
    const after = await rss(url);
    const secs = (performance.now() - t0) / 1000;
    const capped = done < RSS_REQUESTS ? ` — stopped by the ${RSS_SECONDS} s cap before ${RSS_REQUESTS}` : '';
    const others = [...r.status.entries()].filter(([st]) => st !== 200).map(([st, n]) => `${st}×${n}`);
    console.log(
      `\nRSS: ${mib(rssHealthy)} when healthy, ${mib(before)} after the ${served} requests above, ` +
        `${mib(after)} after ${done} more two-frame clips (${ok} answered 200${others.length ? `, ${others.join(' ')}` : ''}, ${(ok / secs).toFixed(1)}/s over ${secs.toFixed(0)} s at 8 clients)${capped}`,
    );
  } finally {
    stop();
  }
}

main().catch((e: unknown) => {
  console.error(e);
  process.exit(1);
});
