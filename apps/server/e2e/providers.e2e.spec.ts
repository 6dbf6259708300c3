import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { ErrorBodySchema, InvocationResponseSchema } from '@vad/contracts';
import { writeModelDir } from '@vad/core';
import { buildRegionsModel } from '@vad/core/testing';
import { parse } from 'yaml';
import { REPO, SAMPLE_CLIP, startServer, waitForLog, waitForPing } from './helpers';

/**
 * VAD_EXECUTION_PROVIDER against a model whose regions stage is a real ONNX network (the embedded
 * default has no ONNX stage, so it cannot tell the providers apart). This machine's
 * onnxruntime-node has no CUDA provider library (the npm registry here lacks its CUDA binaries),
 * so `auto` must fall back to the CPU and say why, and `cuda` must keep /ping at 503 with a reason
 * that names the setting. Where the CUDA provider is installed the expectations flip to `cuda`.
 */
const cudaProviderInstalled = existsSync(
  join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so'),
);
const DEFAULT_MODEL = join(REPO, 'libs/vad-core/assets/default-model');
const b64 = (i: number): string => readFileSync(join(SAMPLE_CLIP, `frame_${String(i).padStart(4, '0')}.jpg`)).toString('base64');

let root: string;
let modelDir: string;

/** Every file's path, size and mtime: the model directory is read-only on SageMaker. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .sort()
    .map((f) => {
      const s = statSync(join(dir, f));
      return `${f} ${s.size} ${s.mtimeMs}`;
    });
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vad-e2e-providers-'));
  modelDir = join(root, 'model');
  const manifest = JSON.parse(readFileSync(join(DEFAULT_MODEL, 'manifest.json'), 'utf8')) as { stages: { flow: unknown }; source: never };
  // The default model's density and flow, plus an ONNX detector: a model with one ONNX stage.
  await writeModelDir(
    {
      name: 'onnx-regions',
      config: onnxRegionsConfig(),
      density: new Uint8Array(readFileSync(join(DEFAULT_MODEL, 'density.safetensors'))),
      stages: { regions: { kind: 'onnx', model: buildRegionsModel() }, flow: manifest.stages.flow as never, pose: null, appearance: null },
      source: manifest.source,
    },
    modelDir,
  );
});

/**
 * The default model's config with one velocity column per region. Its bank has the direction bin
 * plus the built-in regions' matched speed; the ONNX regions' box velocity has only bins, so two
 * bins make the same width (the scores do not matter here, only which provider runs).
 */
function onnxRegionsConfig(): Record<string, unknown> {
  const config = parse(readFileSync(join(DEFAULT_MODEL, 'config.yaml'), 'utf8')) as { model: Record<string, unknown> };
  config.model['n_velocity_bins'] = (config.model['n_velocity_bins'] as number) + 1;
  return config;
}

afterAll(() => rmSync(root, { recursive: true, force: true }));

describe('VAD_EXECUTION_PROVIDER', () => {
  it('auto: the ONNX stage runs, and the start-up line names its provider (and why it is not CUDA)', async () => {
    const before = snapshot(modelDir);
    const server = await startServer({ VAD_MODEL_DIR: modelDir, VAD_EXECUTION_PROVIDER: 'auto' });
    try {
      await waitForPing(server);
      const line = await waitForLog(server, /model ready/);
      if (cudaProviderInstalled) expect(line).toMatch(/VAD_EXECUTION_PROVIDER=auto: regions=cuda /);
      else
        expect(line).toMatch(
          /VAD_EXECUTION_PROVIDER=auto: regions=cpu flow=builtin pose=none appearance=none \(regions\.onnx: cpu \(auto: CUDA unavailable: [^)]+\), flow: builtin\)/,
        );
      const res = await fetch(`${server.url}/invocations`, {
        method: 'POST',
        body: JSON.stringify({ frames: [b64(0), b64(1)] }),
        headers: { 'content-type': 'application/json' },
      });
      expect(res.status).toBe(200);
      const body = InvocationResponseSchema.parse(await res.json());
      expect(body.model.name).toBe('onnx-regions');
      expect(body.results).toHaveLength(1);
      expect(await server.stop()).toBe(0);
    } finally {
      await server.stop('SIGKILL');
    }
    expect(snapshot(modelDir)).toEqual(before);
  });

  it('cuda: without a usable CUDA provider, /ping stays 503 with a reason naming the setting; the process stays up', async () => {
    const server = await startServer({ VAD_MODEL_DIR: modelDir, VAD_EXECUTION_PROVIDER: 'cuda' });
    try {
      if (cudaProviderInstalled) {
        // The GPU image: `cuda` must then really load on CUDA.
        await waitForPing(server);
        expect(await waitForLog(server, /model ready/)).toMatch(/VAD_EXECUTION_PROVIDER=cuda: regions=cuda /);
        expect(await server.stop()).toBe(0);
        return;
      }
      let reason = '';
      for (let i = 0; i < 300 && !/failed/.test(reason); i++) {
        const res = await fetch(`${server.url}/ping`).catch(() => undefined);
        if (res) {
          expect(res.status).toBe(503);
          reason = ErrorBodySchema.parse(await res.json()).error.message;
        }
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(reason).toMatch(/model failed to load: onnx_runtime: regions\.onnx: the CUDA execution provider was asked for but could not be loaded/);
      expect(reason).toMatch(/VAD_EXECUTION_PROVIDER=cuda; set it to auto to fall back to the CPU/);
      expect(server.child.exitCode).toBeNull();
      expect(await server.stop()).toBe(0);
    } finally {
      await server.stop('SIGKILL');
    }
  });
});
