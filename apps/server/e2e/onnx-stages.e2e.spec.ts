import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InvocationResponseSchema } from '@vad/contracts';
import { loadModel, prepareFrame } from '@vad/core';
import { ONNX_RECIPE_IMAGE as IMAGE, ONNX_RECIPE_SCENE as SCENE, fitOnnxRecipeModel, generateScene } from '@vad/core/testing';
import sharp from 'sharp';
import { startServer, waitForPing, type RunningServer } from './helpers';

/**
 * The server with a model whose four stages are all ONNX networks (small generated ones that honour
 * the stage contracts): every attribute appears in the HTTP answer, and the answer equals what
 * vad-core computes in-process for the same frames — the worker pool, decoding and response
 * mapping change nothing.
 */
let root: string;
let modelDir: string;
let server: RunningServer;
let frames: Buffer[];

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'vad-e2e-onnx-stages-'));
  modelDir = join(root, 'model');
  await fitOnnxRecipeModel(modelDir);
  const scene = generateScene({ seed: 5, frames: 3, kind: 'test', ...SCENE });
  frames = await Promise.all(
    scene.frames.map((rgb) =>
      sharp(rgb, { raw: { ...SCENE, channels: 3 } })
        .png()
        .toBuffer(),
    ),
  );
  server = await startServer({ VAD_MODEL_DIR: modelDir });
  await waitForPing(server);
}, 120_000);

afterAll(async () => {
  await server?.stop('SIGKILL');
  rmSync(root, { recursive: true, force: true });
});

describe('a model with four ONNX stages over HTTP', () => {
  it('answers every attribute per region, equal to vad-core in-process', async () => {
    const res = await fetch(`${server.url}/invocations`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ frames: frames.map((f) => f.toString('base64')) }),
    });
    expect(res.status).toBe(200);
    const body = InvocationResponseSchema.parse(await res.json());
    expect(body.model.name).toBe('four-onnx-stages');
    expect(body.results).toHaveLength(2);

    const model = await loadModel(modelDir);
    try {
      const prepared = await Promise.all(frames.map((f) => prepareFrame(f, IMAGE)));
      const local = await model.scoreSequence(prepared);
      for (const [i, r] of body.results.entries()) {
        expect(r.regions.length).toBeGreaterThan(0);
        expect(r.regions.map((g) => g.source)).toContain('detector');
        for (const g of r.regions) expect(Object.keys(g.attributes).sort()).toEqual(['appearance', 'pose', 'velocity']);
        expect(r.score).toBeCloseTo(local[i]!.score, 4);
        expect(r.regions.map((g) => g.score)).toEqual(local[i]!.regions.map((g) => expect.closeTo(g.score, 4)));
      }
      // The tutorial's keys stay in step with the results.
      expect(body.pred_scores.map((s) => expect.closeTo(s, 4))).toEqual(body.results.map((r) => r.score));
    } finally {
      await model.close();
    }
  });
});
