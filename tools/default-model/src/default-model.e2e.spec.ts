import { mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { BUILTIN_REGIONS_NAME, defaultModelDir, loadModel, verifyModelDir } from '@vad/core';
import { QUALITY_SCENES, auroc, buildDefaultModel, generateScene, scoreScene } from '@vad/core/testing';

// The committed default model must be exactly what its recipe produces (seeded scenes, seeded EM,
// fixed createdAt), so anyone can audit and rebuild it.
describe('the embedded default model', () => {
  let rebuilt: string;

  beforeAll(async () => {
    rebuilt = mkdtempSync(join(tmpdir(), 'vad-default-'));
    await buildDefaultModel(join(rebuilt, 'model'));
  });

  afterAll(() => rmSync(rebuilt, { recursive: true, force: true }));

  it('is rebuilt byte-identically by its recipe', () => {
    const committed = defaultModelDir();
    const files = readdirSync(committed).sort();
    expect(files).toEqual(['config.yaml', 'density.safetensors', 'manifest.json']);
    expect(readdirSync(join(rebuilt, 'model')).sort()).toEqual(files);
    for (const f of files) expect({ f, same: readFileSync(join(rebuilt, 'model', f)).equals(readFileSync(join(committed, f))) }).toEqual({ f, same: true });
  });

  it('verifies: digests, stages and density consistent with its config', async () => {
    const report = await verifyModelDir(defaultModelDir());
    expect(report.attributes).toEqual(['velocity']);
    expect(report.manifest.stages.regions).toMatchObject({ kind: 'builtin', name: BUILTIN_REGIONS_NAME });
    expect(report.manifest.threshold).toMatchObject({ from: 'training-frames', quantile: 0.99 });
    expect(report.manifest.stages.flow).toMatchObject({ kind: 'builtin' });
  });

  it('separates fast objects from walkers on a held-out scene (frame-level AUROC >= 0.95)', async () => {
    const model = await loadModel(defaultModelDir());
    const { seed, frames } = QUALITY_SCENES[0];
    const scene = generateScene({ seed, frames, kind: 'test' });
    const { scores, labels } = await scoreScene(model, scene, 'held-out');
    await model.close();
    expect(auroc(scores, labels)).toBeGreaterThanOrEqual(0.95);
  });
});
