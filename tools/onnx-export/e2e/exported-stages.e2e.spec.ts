import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createOnnxSession, fitModel, loadModel, tensor, type DType, type Float32Tensor, type Tensor } from '@vad/core';
import { generateScene, sceneVideo } from '@vad/core/testing';

/**
 * Exports the four stage networks with Debian's python3-torch (random init, real architectures),
 * runs PyTorch on a synthetic clip (export_and_reference.py), then replays the same inputs through
 * vad-core's createOnnxSession and compares. Needs python3-torch python3-torchvision python3-onnx:
 * without them this FAILS, on purpose (CI must install them; see tools/onnx-export/README.md).
 */
const PYTHON = process.env.VAD_PYTHON ?? '/usr/bin/python3';
const SCRIPT = join(__dirname, 'export_and_reference.py');
const STAGES = ['regions', 'flow', 'pose', 'appearance', 'roi_crop'] as const;

interface ArraySpec {
  file: string;
  dtype: 'float32' | 'int64';
  shape: number[];
}
interface Case {
  stage: string;
  model: string;
  inputs: Record<string, ArraySpec>;
  expected: Record<string, ArraySpec>;
  tolerance: Record<string, number>;
}

function readArray(dir: string, spec: ArraySpec): Tensor<DType> {
  const buf = readFileSync(join(dir, spec.file));
  const bytes = new Uint8Array(buf.byteLength);
  bytes.set(buf);
  const data = spec.dtype === 'int64' ? new BigInt64Array(bytes.buffer) : new Float32Array(bytes.buffer);
  return tensor(spec.dtype, data as never, spec.shape);
}

function maxAbsDiff(a: Tensor<DType>, b: Tensor<DType>): number {
  let m = 0;
  for (let i = 0; i < a.data.length; i++) m = Math.max(m, Math.abs(Number(a.data[i]) - Number(b.data[i])));
  return m;
}

function missingPythonPackages(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import torch, torchvision, onnx, yaml, numpy'], { encoding: 'utf8' });
  if (r.error) return `${PYTHON} could not be run: ${r.error.message}`;
  if (r.status !== 0) return r.stderr.trim().split('\n').pop();
  return undefined;
}

describe('exported AI-VAD stage networks match PyTorch (onnx-export e2e)', () => {
  let dir = '';
  let setupError: string | undefined;
  const cases = new Map<string, Case>();

  beforeAll(
    () => {
      const missing = missingPythonPackages();
      if (missing) {
        setupError =
          `the exporter needs Debian's python3-torch python3-torchvision python3-onnx (run with ${PYTHON}): ${missing}. ` +
          'Install: apt-get install -y python3-torch python3-torchvision python3-onnx python3-yaml python3-numpy';
        return;
      }
      dir = mkdtempSync(join(tmpdir(), 'vad-onnx-export-'));
      try {
        // Export once per run: the four networks take minutes on 2 cores.
        execFileSync(PYTHON, [SCRIPT, '--out', dir, '--size', process.env.VAD_E2E_SIZE ?? '96x128'], {
          stdio: ['ignore', 'inherit', 'inherit'],
          timeout: 25 * 60 * 1000,
        });
      } catch (e) {
        setupError = `export_and_reference.py failed: ${(e as Error).message}`;
        return;
      }
      for (const s of STAGES) cases.set(s, JSON.parse(readFileSync(join(dir, `${s}.case.json`), 'utf8')) as Case);
    },
    30 * 60 * 1000,
  );

  afterAll(() => {
    if (dir && !process.env.VAD_E2E_KEEP) rmSync(dir, { recursive: true, force: true });
  });

  it('has the Python exporter toolchain (python3-torch, torchvision, onnx)', () => {
    if (setupError) throw new Error(setupError);
    expect(cases.size).toBe(STAGES.length);
  });

  async function replay(stage: string): Promise<{ c: Case; got: Record<string, Tensor<DType>> }> {
    if (setupError) throw new Error(setupError);
    const c = cases.get(stage)!;
    const session = await createOnnxSession(join(dir, c.model), { threads: 2, label: c.model });
    try {
      expect(session.inputs.map((i) => i.name)).toEqual(Object.keys(c.inputs));
      const feeds: Record<string, Tensor<DType>> = {};
      for (const [name, spec] of Object.entries(c.inputs)) feeds[name] = readArray(dir, spec);
      return { c, got: await session.run(feeds) };
    } finally {
      await session.release();
    }
  }

  function expectClose(c: Case, got: Record<string, Tensor<DType>>): Record<string, number> {
    const diffs: Record<string, number> = {};
    for (const [name, spec] of Object.entries(c.expected)) {
      const want = readArray(dir, spec);
      expect(got[name]).toBeDefined();
      expect([...got[name].shape]).toEqual(spec.shape);
      expect(got[name].dtype).toBe(spec.dtype);
      diffs[name] = maxAbsDiff(got[name], want);
    }
    // eslint-disable-next-line no-console
    console.log(`${c.stage}: max abs diff vs PyTorch ${JSON.stringify(diffs)}`);
    for (const [name, d] of Object.entries(diffs)) {
      if (d > c.tolerance[name]) throw new Error(`${c.stage}.${name}: max abs diff ${d} exceeds ${c.tolerance[name]}`);
    }
    return diffs;
  }

  it('regions.onnx: same detections (boxes, int64 labels, scores), no masks output', async () => {
    const { c, got } = await replay('regions');
    expect(Object.keys(got).sort()).toEqual(['boxes', 'labels', 'scores']);
    expect(c.expected.boxes.shape[0]).toBeGreaterThan(0); // otherwise the comparison proves nothing
    expectClose(c, got);
  });

  it('flow.onnx: RAFT-large flow at the frame size, in 520x960 units', async () => {
    const { c, got } = await replay('flow');
    expect(got.flow.shape).toEqual([1, 2, ...c.inputs.frame1.shape.slice(2)]);
    expectClose(c, got);
  });

  it('pose.onnx: keypoints [M,17,3] for the given boxes', async () => {
    const { c, got } = await replay('pose');
    expect(got.keypoints.shape).toEqual([c.inputs.boxes.shape[0], 17, 3]);
    expectClose(c, got);
  });

  it('appearance.onnx: CLIP ViT-B/16 features [M,512]', async () => {
    const { c, got } = await replay('appearance');
    expect(got.features.shape).toEqual([c.inputs.boxes.shape[0], 512]);
    expectClose(c, got);
  });

  it('RoIAlign exported at opset 17 matches torchvision (aligned=False -> output_half_pixel)', async () => {
    const { c, got } = await replay('roi_crop');
    expectClose(c, got);
  });

  // The four exported networks as one model: vad-core fits the density bank through them, the model
  // directory verifies, and a clip runs through every stage. The detector's boxes that survive
  // vad-core's region post-processing must be boxes PyTorch found on the same frame.
  it(
    'the exported networks make a model: fitted bank, verified directory, a clip scored through all four stages',
    async () => {
      if (setupError) throw new Error(setupError);
      const regionsCase = cases.get('regions')!;
      const [, h, w] = regionsCase.inputs.image.shape as [number, number, number];
      const imageSize: [number, number] = [h, w];
      const config = { dataset: { image_size: imageSize }, model: { box_score_thresh: 0.7 } };
      const onnx = (stage: string): string => join(dir, cases.get(stage)!.model);
      const videos = [11, 12].map((seed) => sceneVideo(`video-${seed}`, generateScene({ seed, frames: 3, width: w, height: h, kind: 'train' }), imageSize));
      const outDir = join(dir, 'model');
      const fitted = await fitModel({
        config,
        videos,
        name: 'exported-random-init',
        outDir,
        stages: { regions: onnx('regions'), flow: onnx('flow'), pose: onnx('pose'), appearance: onnx('appearance') },
        threads: 2,
      });
      expect(fitted.clips).toBe(4);
      for (const a of ['velocity', 'pose', 'appearance'] as const) expect(fitted.rows[a]).toBeGreaterThan(0);
      const manifest = JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8')) as { stages: Record<string, { kind: string }> };
      expect(Object.values(manifest.stages).map((s) => s.kind)).toEqual(['onnx', 'onnx', 'onnx', 'onnx']);

      const model = await loadModel(outDir, { threads: 2 });
      try {
        const flowCase = cases.get('flow')!;
        const first = { image: reshape(readArray(dir, flowCase.inputs.frame1), [3, h, w]), originalSize: imageSize } as const;
        const last = { image: reshape(readArray(dir, regionsCase.inputs.image), [3, h, w]), originalSize: imageSize } as const;
        const clip = await model.scoreClip(first, last);
        expect(Number.isFinite(clip.score)).toBe(true);
        const detected = clip.regions.filter((r) => r.source === 'detector');
        expect(detected.length).toBeGreaterThan(0);
        const torchBoxes = readArray(dir, regionsCase.expected.boxes).data as Float32Array;
        for (const r of detected) {
          let best = Infinity;
          for (let i = 0; i < torchBoxes.length; i += 4) best = Math.min(best, Math.max(...r.box.map((v, k) => Math.abs(v - torchBoxes[i + k]))));
          expect(best).toBeLessThan(1e-2);
        }
        for (const r of clip.regions) {
          expect(Object.keys(r.attributes).sort()).toEqual(['appearance', 'pose', 'velocity']);
          for (const v of Object.values(r.attributes)) expect(Number.isFinite(v)).toBe(true);
        }
        // eslint-disable-next-line no-console
        console.log(
          `pipeline: ${clip.regions.length} regions (${detected.length} from the detector), frame score ${clip.score.toFixed(3)}, ms ${JSON.stringify(clip.timingsMs)}`,
        );
      } finally {
        await model.close();
      }
    },
    20 * 60 * 1000,
  );
});

function reshape(t: Tensor<DType>, shape: number[]): Float32Tensor {
  return tensor('float32', t.data as Float32Array, shape);
}
