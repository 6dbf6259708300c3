import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAppearanceModel, buildPoseModel, generateScene } from '@vad/core/testing';
import { entryToFloat32, entryToInt32, loadModel, prepareFrameFromRgb, VadError, verifyModelDir, type ModelDirReport } from '@vad/core';
import { importAnomalibFiles } from './import-anomalib';
import { makePythonFixtures, type PythonFixtures } from './python-fixtures';

/**
 * The importers against anomalib-shaped files written by Debian's PyTorch (make_fixtures.py),
 * whose expected statistics Python computed with scikit-learn and numpy.
 */
let fx: PythonFixtures;
let root: string;
let onnxDir: string;
beforeAll(async () => {
  fx = makePythonFixtures();
  root = await mkdtemp(join(tmpdir(), 'vad-import-'));
  onnxDir = join(root, 'onnx');
  await mkdir(onnxDir);
  // The test networks of @vad/core/testing stand in for tools/onnx-export's output.
  await writeFile(join(onnxDir, 'pose.onnx'), buildPoseModel());
  await writeFile(join(onnxDir, 'appearance.onnx'), buildAppearanceModel({ featureDim: 8 }));
});
afterAll(async () => {
  fx.remove();
  await rm(root, { recursive: true, force: true });
});

const tutorial = (...names: string[]) => names.map((n) => join(fx.dir, 'tutorial', n));
const ckpt = (...names: string[]) => names.map((n) => join(fx.dir, 'ckpt', n));
let seq = 0;
const out = () => join(root, `model-${++seq}`);

function values(report: ModelDirReport, name: string): number[] {
  const e = report.densityFile.tensors.get(name);
  if (!e) throw new Error(`${name} missing`);
  return Array.from(e.dtype === 'I32' ? entryToInt32(e, name) : entryToFloat32(e, name));
}
const shape = (report: ModelDirReport, name: string) => report.densityFile.tensors.get(name)?.shape;

async function error(p: Promise<unknown>): Promise<VadError> {
  const e = await p.catch((err: unknown) => err);
  expect(e).toBeInstanceOf(VadError);
  return e as VadError;
}

/** Scores a short synthetic clip with the model, as the server would. */
async function scoreClip(dir: string) {
  const model = await loadModel(dir);
  try {
    const scene = generateScene({ seed: 5, frames: 3, kind: 'test', anomalousFraction: 0.9 });
    const frames = scene.frames.map((f) => prepareFrameFromRgb(f, scene.width, scene.height, model.imageSize));
    return await model.scoreSequence(frames);
  } finally {
    await model.close();
  }
}

describe('tutorial seed files', () => {
  it('fits the velocity GMM like scikit-learn and keeps what runs without networks', async () => {
    const dir = out();
    await importAnomalibFiles([join(fx.dir, 'tutorial')], dir, { name: 'ped2' });
    const report = await verifyModelDir(dir);
    const want = fx.expected.tutorial.velocity;
    expect(report.attributes).toEqual(['velocity']);
    expect(report.manifest.stages.regions).toBeNull();
    expect(report.manifest.stages.flow?.kind).toBe('builtin');
    expect(shape(report, 'velocity.bank')).toEqual([want.rows, 2]);
    // The bank was a transposed (non-contiguous) torch view: row 0 must be the view's row 0.
    values(report, 'velocity.bank')
      .slice(0, 2)
      .forEach((v, i) => expect(v).toBeCloseTo(want.first_row[i], 6));
    const means = values(report, 'velocity.gmm.means');
    const weights = values(report, 'velocity.gmm.weights');
    const order = means[0]! < means[2]! ? [0, 1] : [1, 0];
    order.forEach((c, i) => {
      expect(weights[c]).toBeCloseTo(want.weights[i], 3);
      expect(means[2 * c]).toBeCloseTo(want.means[i][0], 2);
      expect(means[2 * c + 1]).toBeCloseTo(want.means[i][1], 2);
    });
    const [min, max] = values(report, 'velocity.norm');
    expect(min).toBeCloseTo(want.norm[0], 2);
    expect(max).toBeCloseTo(want.norm[1], 2);
    const details = report.manifest.source.details as Record<string, string[]>;
    expect(report.manifest.source.kind).toBe('anomalib-seed-files');
    expect(details['missing']!.join('\n')).toMatch(/pose: bank not imported.*\n.*appearance: bank not imported.*\n.*regions: foreground.*\n.*flow: built-in/);
    expect(details['configIgnored']).toEqual(expect.arrayContaining(['trainer', 'dataset.path']));

    const scores = await scoreClip(dir);
    expect(scores).toHaveLength(2);
    for (const s of scores) expect(Number.isFinite(s.score)).toBe(true);
    expect(scores.some((s) => s.regions.length > 0 && s.regions.every((r) => r.attributes.velocity !== undefined))).toBe(true);
  });

  it('with exported networks, imports the pose and appearance banks with leave-one-video-out statistics', async () => {
    const dir = out();
    const report = await importAnomalibFiles(tutorial('ai_vad_banks.joblib', 'ai_vad_config.yaml', 'ai_vad_weights.pth'), dir, { onnxDir });
    const want = fx.expected.tutorial;
    expect(report.attributes).toEqual(['velocity', 'pose', 'appearance']);
    expect(report.manifest.stages.pose?.kind).toBe('onnx');
    expect(report.density.groups).toEqual(['01', '02', '03']);
    expect(shape(report, 'pose.bank')).toEqual([want.pose.rows, 34]);
    expect(values(report, 'pose.group')).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
    // Video "02" was an offset slice of a bigger tensor sharing its storage.
    values(report, 'pose.bank')
      .slice(5 * 34, 6 * 34)
      .forEach((v, i) => expect(v).toBeCloseTo(want.pose.row_of_02[i], 6));
    values(report, 'pose.norm').forEach((v, i) => expect(v).toBeCloseTo(want.pose.norm[i], 5));
    // Appearance was stored as fp16: widened to float32, statistics as numpy computes them.
    expect(shape(report, 'appearance.bank')).toEqual([want.appearance.rows, want.appearance.dim]);
    values(report, 'appearance.norm').forEach((v, i) => expect(v).toBeCloseTo(want.appearance.norm[i], 4));
    expect((report.manifest.source.details as Record<string, unknown>)['weights']).toEqual({
      tensors: 4,
      networks: ['region_extractor', 'flow_extractor', 'feature_extractor.pose_extractor', 'feature_extractor.deep_extractor'],
    });

    const scores = await scoreClip(dir);
    const regions = scores.flatMap((s) => s.regions);
    expect(regions.length).toBeGreaterThan(0);
    for (const r of regions) expect(Object.keys(r.attributes).sort()).toEqual(['appearance', 'pose', 'velocity']);
  });

  it('reads compressed joblib banks to the same density file', async () => {
    const a = await importAnomalibFiles(tutorial('ai_vad_banks.joblib', 'ai_vad_config.yaml'), out(), { onnxDir });
    const b = await importAnomalibFiles(tutorial('ai_vad_banks_compressed.joblib', 'ai_vad_config.yaml'), out(), { onnxDir });
    expect(b.files.find((f) => f.path === 'density.safetensors')?.sha256).toBe(a.files.find((f) => f.path === 'density.safetensors')?.sha256);
  });

  it('refuses banks that lack an attribute the config enables', async () => {
    const e = await error(importAnomalibFiles(tutorial('ai_vad_banks_no_appearance.joblib', 'ai_vad_config.yaml'), out(), { onnxDir }));
    expect(e.code).toBe('bank_invalid');
    expect(e.message).toMatch(/enables appearance features but ai_vad_banks_no_appearance.joblib holds None/);
  });

  it('refuses a banks file that would call os.system, without running it', async () => {
    const e = await error(importAnomalibFiles(tutorial('evil_banks.joblib', 'ai_vad_config.yaml'), out()));
    expect(e.code).toBe('pickle_refused');
    expect(e.message).toMatch(/posix\.system \(os\.system\)/);
    expect(existsSync(fx.expected.tutorial.evil_marker)).toBe(false);
  });

  it('names what is missing', async () => {
    const e = await error(importAnomalibFiles(tutorial('ai_vad_banks.joblib'), out()));
    expect(e.code).toBe('file_not_found');
    expect(e.message).toMatch(/ai_vad_config\.yaml/);
    expect((await error(importAnomalibFiles([join(root, 'nope.ckpt')], out()))).code).toBe('file_not_found');
  });
});

describe('Lightning checkpoints', () => {
  it('takes the v2 GMM and min-max as they are and says so', async () => {
    const dir = out();
    const report = await importAnomalibFiles(ckpt('v2.ckpt'), dir, { imageSize: [120, 180] });
    const want = fx.expected.ckpt.velocity;
    expect(report.attributes).toEqual(['velocity']);
    expect(values(report, 'velocity.gmm.weights')).toEqual(want.weights.map(Math.fround));
    expect(values(report, 'velocity.gmm.means')).toEqual(want.means.flat().map(Math.fround));
    expect(values(report, 'velocity.gmm.covariances')).toEqual(want.covariances.flat(2).map(Math.fround));
    expect(values(report, 'velocity.norm')).toEqual(want.norm);
    expect(shape(report, 'velocity.bank')).toBeUndefined();
    expect(report.config.model.n_components_velocity).toBe(3);
    const details = report.manifest.source.details as Record<string, unknown>;
    expect(details['anomalib']).toMatch(/v1\.x\/v2/);
    expect(details['taken']).toEqual(expect.arrayContaining([expect.stringMatching(/^velocity\.norm ← velocity_estimator\.normalization_statistics/)]));
    expect(details['inertObjects']).toEqual(['anomalib.pre_processing.fixture.PreProcessor']);
    expect(details['epoch']).toBe(1);
    expect((await scoreClip(dir)).length).toBe(2);
  });

  it('takes the kNN memory banks and their statistics; a group index when the state dict has one', async () => {
    const plain = await importAnomalibFiles(ckpt('v2.ckpt'), out(), { onnxDir, imageSize: [120, 180] });
    expect(plain.attributes).toEqual(['velocity', 'pose', 'appearance']);
    expect(values(plain, 'pose.norm')).toEqual(fx.expected.ckpt.pose.norm);
    expect(values(plain, 'appearance.norm')).toEqual(fx.expected.ckpt.appearance.norm);
    expect(values(plain, 'pose.bank').slice(0, 34)).toEqual(fx.expected.ckpt.pose.first_row.map(Math.fround));
    expect(plain.density.groups).toEqual(['all']);
    expect(((plain.manifest.source.details as Record<string, string[]>)['notes'] ?? []).join('\n')).toMatch(/pose: no group index/);

    const grouped = await importAnomalibFiles(ckpt('v2_groups.ckpt'), out(), { onnxDir, imageSize: [120, 180] });
    expect(grouped.density.groups).toEqual(['group-0', 'group-1', 'group-2']);
    expect(values(grouped, 'pose.group')).toEqual([0, 0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2]);
  });

  it('imports a v0.7 checkpoint with its config.yaml and drops the velocity GMM it does not hold', async () => {
    const report = await importAnomalibFiles(ckpt('v07.ckpt', 'config.yaml'), out(), { onnxDir });
    expect(report.attributes).toEqual(['pose', 'appearance']);
    expect(report.manifest.imageSize).toEqual([120, 180]);
    const details = report.manifest.source.details as Record<string, unknown>;
    expect(details['inertObjects']).toEqual(['omegaconf.dictconfig.DictConfig']);
    expect((details['missing'] as string[])[0]).toMatch(/^velocity: no GMM in the state dict/);

    const e = await error(importAnomalibFiles(ckpt('v07.ckpt', 'config.yaml'), out()));
    expect(e.code).toBe('no_attributes');
  });

  it('refuses a checkpoint that would call os.system', async () => {
    const e = await error(importAnomalibFiles(ckpt('evil.ckpt'), out()));
    expect(e.code).toBe('pickle_refused');
    expect(e.message).toMatch(/os\.system/);
  });

  it('refuses a torch file that is not an AI-VAD checkpoint', async () => {
    const path = join(root, 'other.ckpt');
    await writeFile(path, await readFile(join(fx.dir, 'state_dict.pth')));
    const e = await error(importAnomalibFiles([path], out()));
    expect(e.code).toBe('unsupported_format');
    expect(e.message).toMatch(/no AI-VAD density estimator/);
  });
});
