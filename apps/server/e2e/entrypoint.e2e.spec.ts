import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ErrorBodySchema } from '@vad/contracts';
import { REPO, SAMPLE_CLIP, startServer, waitForLog, waitForPing } from './helpers';

/**
 * The image's start command without Docker: `bin/serve serve` over the esbuild bundle
 * (dist/apps/server, built by `nx build server`; server:test and server:e2e depend on it), as SageMaker runs
 * `docker run <image> serve`. Also: /ping's 503 reason when the model cannot load, and SIGTERM
 * draining an in-flight request before exit 0.
 */
const bundle = join(REPO, 'dist/apps/server/main.js');

beforeAll(() => {
  if (!existsSync(bundle)) throw new Error(`no bundle at ${bundle}: run \`npx nx build server\` (server:test and server:e2e depend on it)`);
});

const frameB64 = (i: number): string => readFileSync(join(SAMPLE_CLIP, `frame_${String(i).padStart(4, '0')}.jpg`)).toString('base64');

describe('bin/serve (the image entrypoint)', () => {
  it('accepts connections at once, answers 503 until warm, then 200; SIGTERM drains an in-flight request and exits 0', async () => {
    const server = await startServer({ VAD_WORKERS: '1' }, 'bundle');
    try {
      // The socket accepts before the model has loaded (SageMaker wants it within 250 ms), and the
      // first answer is 503: loading, verifying and warming the model takes most of a second.
      const first = await waitForPing(server, 503, 10_000);
      expect(ErrorBodySchema.parse(JSON.parse(first.body)).error).toMatchObject({ code: 'model_not_ready', message: expect.stringMatching(/loading/) });
      const ready = await waitForPing(server, 200, 90_000);
      // Ready means warmed, and the one start-up line names each stage's provider.
      expect(await waitForLog(server, /model ready/)).toMatch(
        /model ready: vad-default-synthetic-walkway \[velocity\]; VAD_EXECUTION_PROVIDER=auto: regions=builtin flow=builtin pose=none appearance=none/,
      );
      process.stdout.write(`bin/serve: healthy ${ready.ms} ms after the first ping attempt\n`);
      const body = JSON.stringify({ frames: [0, 1, 2, 3, 4, 5].map(frameB64) });
      const inflight = fetch(`${server.url}/invocations`, { method: 'POST', body, headers: { 'content-type': 'application/json' } });
      await new Promise((r) => setTimeout(r, 100));
      server.child.kill('SIGTERM');
      const res = await inflight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { results: unknown[] }).results).toHaveLength(5);
      expect(await server.exited).toBe(0);
      // After SIGTERM the socket is closed: new connections are refused.
      await expect(fetch(`${server.url}/ping`)).rejects.toThrow();
    } finally {
      await server.stop('SIGKILL');
    }
  });

  it('a model that cannot load keeps /ping at 503 with the reason, and invocations at 503 model_not_ready', async () => {
    const server = await startServer({ VAD_MODEL_DIR: '/nonexistent/model-dir' }, 'bundle');
    try {
      let reason = '';
      for (let i = 0; i < 200 && !/failed/.test(reason); i++) {
        const res = await fetch(`${server.url}/ping`).catch(() => undefined);
        if (res) {
          expect(res.status).toBe(503);
          reason = ErrorBodySchema.parse((await res.json()) as { error: { message: string } }).error.message;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(reason).toMatch(/failed to load/);
      expect(reason).toMatch(/nonexistent/);
      const inv = await fetch(`${server.url}/invocations`, { method: 'POST', body: '{}', headers: { 'content-type': 'application/json' } });
      expect([inv.status, ((await inv.json()) as { error: { code: string } }).error.code]).toEqual([503, 'model_not_ready']);
      expect(await server.stop()).toBe(0);
    } finally {
      await server.stop('SIGKILL');
    }
  });

  it('refuses a `train` argument (SageMaker would only call it for training)', async () => {
    const { spawnSync } = await import('node:child_process');
    const r = spawnSync(join(REPO, 'dist/apps/server/bin/serve'), ['train'], { encoding: 'utf8' });
    expect(r.status).toBe(64);
    expect(r.stderr).toMatch(/serves only/);
  });
});
