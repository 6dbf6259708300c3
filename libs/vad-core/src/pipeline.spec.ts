import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ATTRIBUTES, ManifestSchema } from '@vad/contracts';
import { parse as parseYaml } from 'yaml';
import { attributesForStages, fitModel } from './fit';
import { loadModel } from './pipeline';
import { sceneVideo } from './testing/default-model-recipe';
import {
  ONNX_RECIPE_IMAGE as IMAGE,
  ONNX_RECIPE_MODEL as MODEL,
  ONNX_RECIPE_SCENE as SCENE,
  fitOnnxRecipeModel,
  onnxRecipeVideos as videos,
} from './testing/onnx-stage-recipe';
import { generateScene } from './testing/synthetic-scene';
import { rejection } from './testing/vad-errors';

/**
 * The whole pipeline through onnxruntime with small generated networks that honour each stage
 * contract (model-format.md): fit a model from normal clips with all four ONNX stages, load it,
 * score a clip. Also how fitting reads anomalib configs (v0.7 flat, v1 `init_args`).
 */
let root: string;
beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'vad-pipeline-'));
});
afterAll(() => rmSync(root, { recursive: true, force: true }));

const manifestOf = (dir: string) => ManifestSchema.parse(JSON.parse(readFileSync(join(dir, 'manifest.json'), 'utf8')));

describe('fit and score through four ONNX stages', () => {
  let dir: string;
  beforeAll(async () => {
    dir = join(root, 'onnx-model');
    const fit = await fitOnnxRecipeModel(dir);
    expect(fit.clips).toBe(10);
    for (const a of ATTRIBUTES) expect(fit.rows[a]).toBeGreaterThan(0);
    expect(fit.report.attributes).toEqual(['velocity', 'pose', 'appearance']);
  });

  it('loads with every stage on onnxruntime and scores N frames as N−1 clips', async () => {
    const model = await loadModel(dir);
    try {
      expect(model.providers).toEqual({ regions: 'cpu', flow: 'cpu', pose: 'cpu', appearance: 'cpu' });
      expect(model.enabled).toEqual(['velocity', 'pose', 'appearance']);
      const test = sceneVideo('t', generateScene({ seed: 9, frames: 4, kind: 'test', ...SCENE }), IMAGE);
      const frames = await Promise.all([0, 1, 2, 3].map((i) => test.frame(i)));
      const results = await model.scoreSequence(frames);
      expect(results).toHaveLength(3);
      for (const r of results) {
        const detected = r.regions.filter((g) => g.source === 'detector');
        expect(detected.length).toBeGreaterThan(0);
        for (const g of r.regions) {
          for (const a of ATTRIBUTES) expect(Number.isFinite(g.attributes[a])).toBe(true);
          expect(g.score).toBeCloseTo(
            ATTRIBUTES.reduce((s, a) => s + g.attributes[a]!, 0),
            5,
          );
          expect(g.velocityBins).toHaveLength(2);
        }
        // Frame score: per attribute the max over regions, summed (ai-vad-spec.md).
        const expected = ATTRIBUTES.reduce((s, a) => s + Math.max(...r.regions.map((g) => g.attributes[a]!)), 0);
        expect(r.score).toBeCloseTo(expected, 5);
        expect(Object.keys(r.timingsMs)).toEqual(expect.arrayContaining(['regions', 'flow', 'features', 'density']));
      }
      // scoreSequence is scoreClip over consecutive pairs.
      expect((await model.scoreClip(frames[1]!, frames[2]!)).score).toBeCloseTo(results[1]!.score, 6);
    } finally {
      await model.close();
    }
  });
});

describe('anomalib config layouts', () => {
  const velocityOnly = { ...MODEL, use_pose_features: false, use_deep_features: false };

  it('a v1/v2 config (model.init_args, data.init_args) fits the same model as the v0.7 flat layout', async () => {
    const flat = join(root, 'flat');
    const nested = join(root, 'nested');
    await fitModel({ config: { dataset: { image_size: IMAGE }, model: velocityOnly }, videos: videos(), name: 'm', outDir: flat });
    const v1 = {
      model: { class_path: 'anomalib.models.AiVad', init_args: velocityOnly },
      data: { class_path: 'anomalib.data.Avenue', init_args: { image_size: IMAGE, root: '/datasets/avenue' } },
      trainer: { max_epochs: 1 },
    };
    await fitModel({ config: v1, videos: videos(), name: 'm', outDir: nested });
    expect(manifestOf(nested).files['density.safetensors']).toEqual(manifestOf(flat).files['density.safetensors']);
    const written = parseYaml(readFileSync(join(nested, 'config.yaml'), 'utf8'));
    expect(written.dataset.image_size).toEqual(IMAGE);
    expect(written.model.n_components_velocity).toBe(2);
    expect(written.trainer).toBeUndefined();
  });

  it('refuses a config for another anomalib model', async () => {
    const e = await rejection(
      fitModel({ config: { model: { class_path: 'anomalib.models.Padim', init_args: {} } }, videos: videos(), name: 'm', outDir: join(root, 'padim') }),
    );
    expect(e.code).toBe('unsupported_format');
    expect(e.message).toContain('anomalib.models.Padim');
  });

  it('refuses pose features switched on without a pose network, and says both ways out', async () => {
    const e = await rejection(
      fitModel({
        config: { dataset: { image_size: IMAGE }, model: { ...velocityOnly, use_pose_features: true } },
        videos: videos(),
        name: 'm',
        outDir: join(root, 'nopose'),
      }),
    );
    expect(e.code).toBe('config_invalid');
    expect(e.message).toMatch(/model\.use_pose_features.*--pose pose\.onnx.*use_pose_features: false/);
  });
});

describe('fitModel output folder', () => {
  it('refuses a taken output folder before reading any frame', async () => {
    const taken = mkdtempSync(join(root, 'taken-'));
    const untouchable = { id: 'v', frameCount: 3, frame: () => Promise.reject(new Error('a frame was read')) };
    const e = await rejection(
      fitModel({ config: { model: { use_pose_features: false, use_deep_features: false } }, videos: [untouchable], name: 'm', outDir: taken }),
    );
    expect(e.code).toBe('bad_argument');
    expect(e.message).toContain('--overwrite');
  });
});

describe('attributesForStages (the fit CLI default)', () => {
  it('turns off attributes the config does not mention and whose network is not given', () => {
    expect(attributesForStages(undefined)).toEqual({ config: { model: { use_pose_features: false, use_deep_features: false } }, off: ['pose', 'appearance'] });
    const withPose = attributesForStages({ dataset: { image_size: IMAGE } }, { pose: 'pose.onnx' });
    expect(withPose.off).toEqual(['appearance']);
    expect(withPose.config).toEqual({ dataset: { image_size: IMAGE }, model: { use_deep_features: false } });
  });

  it('keeps explicit settings and patches v1 configs inside init_args, leaving the input untouched', () => {
    const v1 = { model: { class_path: 'anomalib.models.AiVad', init_args: { use_deep_features: true } } };
    const { config, off } = attributesForStages(v1);
    expect(off).toEqual(['pose']);
    expect(config).toEqual({ model: { class_path: 'anomalib.models.AiVad', init_args: { use_deep_features: true, use_pose_features: false } } });
    expect(v1.model.init_args).toEqual({ use_deep_features: true });
  });
});

describe('the built-in regions stage', () => {
  const H = 120;
  const W = 180;
  const config = {
    dataset: { image_size: [H, W] },
    model: { use_pose_features: false, use_deep_features: false, n_velocity_bins: 1, n_components_velocity: 2 },
  };
  let dir: string;
  beforeAll(async () => {
    dir = join(root, 'builtin-regions');
    const scenes = [1, 2].map((seed) => sceneVideo(`w${seed}`, generateScene({ seed, frames: 12, kind: 'train', width: W, height: H }), [H, W]));
    await fitModel({ config, videos: scenes, stages: { builtinRegions: { closeRadius: 3 } }, name: 'm', outDir: dir });
  });

  /** A grey frame with one white square of side `s` at (x, y). */
  const frame = (x: number, y: number, s: number) => {
    const data = new Float32Array(3 * H * W).fill(0.4);
    for (let c = 0; c < 3; c++) for (let yy = y; yy < y + s; yy++) for (let xx = x; xx < x + s; xx++) data[(c * H + yy) * W + xx] = 1;
    return { image: { dtype: 'float32' as const, data, shape: [3, H, W] }, originalSize: [H, W] as const };
  };

  it('is recorded in the manifest with every param, and scores: 0 when nothing moved, 1 per attribute for motion without a region', async () => {
    expect(manifestOf(dir).stages.regions).toEqual({
      kind: 'builtin',
      name: 'motion-components-v1',
      params: { kernelSize: 3, binaryThreshold: 18, closeRadius: 3, minPixels: 6, velocityFrom: 'moving-pixels-p90+matched' },
    });
    const model = await loadModel(dir);
    try {
      expect(model.providers.regions).toBe('builtin');
      const still = await model.scoreClip(frame(50, 50, 4), frame(50, 50, 4));
      expect(still).toMatchObject({ score: 0, regions: [] });
      expect(still.unresolvedMotion).toBeUndefined();
      // A 4-px square moving 2 px: real motion, but its box is below min_bbox_area (100).
      const small = await model.scoreClip(frame(50, 50, 4), frame(52, 50, 4));
      expect(small).toMatchObject({ score: 1, regions: [], unresolvedMotion: true });
      // A uniform 10-px square moving 3 px: two slivers 5 px apart, closed into one region.
      const whole = await model.scoreClip(frame(50, 40, 10), frame(53, 40, 10));
      expect(whole.regions).toHaveLength(1);
      expect(whole.regions[0]!.box[2] - whole.regions[0]!.box[0]).toBeGreaterThanOrEqual(12);
    } finally {
      await model.close();
    }
  });

  it('a model fitted with it refuses to load with another regions stage', async () => {
    const other = join(root, 'other-regions');
    await fitModel({
      config,
      videos: [1, 2].map((seed) => sceneVideo(`w${seed}`, generateScene({ seed, frames: 6, kind: 'train', width: W, height: H }), [H, W])),
      stages: { builtinRegions: {} },
      name: 'm',
      outDir: other,
    });
    const manifest = JSON.parse(readFileSync(join(other, 'manifest.json'), 'utf8'));
    manifest.stages.regions.name = 'motion-components-v0';
    writeFileSync(join(other, 'manifest.json'), JSON.stringify(manifest));
    const e = await rejection(loadModel(other));
    expect(e.code).toBe('model_invalid');
    expect(e.message).toMatch(/stages\.regions is the built-in "motion-components-v0".*fitted on other regions/);
    // A velocity variant this build does not have is refused too, not read as another.
    manifest.stages.regions.name = 'motion-components-v1';
    manifest.stages.regions.params.velocityFrom = 'moving-pixels-p75';
    writeFileSync(join(other, 'manifest.json'), JSON.stringify(manifest));
    const v = await rejection(loadModel(other));
    expect(v.code).toBe('model_invalid');
    expect(v.message).toMatch(/velocityFrom/);
  });
});
