import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VadError } from '../errors';
import { defaultModelDir } from './default-model';
import { sha256Bytes, sha256File } from './digest';
import { parseSafetensors, serializeSafetensors } from './safetensors';
import { tinyModelSpec } from './tiny-model';
import { verifyModelDir } from './verify-model-dir';
import { writeModelDir } from './write-model-dir';

let root: string;
beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'vad-model-'));
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

async function expectVadError(p: Promise<unknown>, code: string, message?: RegExp): Promise<VadError> {
  const e = await p.then(
    () => undefined,
    (err: unknown) => err,
  );
  expect(e).toBeInstanceOf(VadError);
  expect((e as VadError).code).toBe(code);
  if (message) expect((e as VadError).message).toMatch(message);
  return e as VadError;
}

async function editManifest(dir: string, edit: (m: Record<string, any>) => void): Promise<void> {
  const m = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
  edit(m);
  await writeFile(join(dir, 'manifest.json'), JSON.stringify(m));
}

/** Replaces a file and re-records its digest, so only the consistency rule under test fails. */
async function replaceFile(dir: string, path: string, bytes: Uint8Array | string): Promise<void> {
  await writeFile(join(dir, path), bytes);
  const digest = sha256Bytes(typeof bytes === 'string' ? Buffer.from(bytes) : bytes);
  await editManifest(dir, (m) => {
    m.files[path] = digest;
  });
}

describe('sha256File', () => {
  it('equals the digest of the bytes, streaming across chunk boundaries', async () => {
    const bytes = new Uint8Array(3 * (1 << 20) + 17).map((_, i) => (i * 31) & 0xff);
    await writeFile(join(root, 'f'), bytes);
    expect(await sha256File(join(root, 'f'))).toBe(sha256Bytes(bytes));
    expect(sha256Bytes(new TextEncoder().encode('abc'))).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });

  it('reports a missing file as file_not_found', async () => {
    await expectVadError(sha256File(join(root, 'nope')), 'file_not_found', /does not exist/);
  });
});

describe('writeModelDir + verifyModelDir', () => {
  it('writes a model that verifies, with digests of every file', async () => {
    const dir = join(root, 'model');
    const report = await writeModelDir(tinyModelSpec({ appearance: true }), dir);
    expect(report.dir).toBe(dir);
    expect(report.attributes).toEqual(['velocity', 'pose', 'appearance']);
    expect(report.manifest.createdBy).toMatch(/^vad-serve /);
    expect(report.manifest.imageSize).toEqual([24, 36]);
    expect(report.manifest.stages.flow).toEqual({ kind: 'builtin', name: 'farneback', params: { levels: 3 } });
    expect(Object.keys(report.manifest.files).sort()).toEqual([
      'config.yaml',
      'density.safetensors',
      'onnx/appearance.onnx',
      'onnx/pose.onnx',
      'onnx/regions.onnx',
    ]);
    for (const f of report.files) expect(f.sha256).toBe(await sha256File(join(dir, f.path)));
    expect(report.density.groups).toEqual(['01', '02']);
    expect(report.warnings).toEqual([]);
    // Nothing but the model is left beside it.
    expect(await readdir(root)).toEqual(['model']);
    const again = await verifyModelDir(dir);
    expect(again.manifest).toEqual(report.manifest);
  });

  it('leaves nothing behind when the model is invalid, and never replaces an existing dir unasked', async () => {
    const bad = tinyModelSpec();
    const dir = join(root, 'model');
    await expectVadError(writeModelDir({ ...bad, stages: { ...bad.stages, pose: null } }, dir), 'model_invalid', /no pose stage/);
    expect(await readdir(root)).toEqual([]);
    await writeModelDir(bad, dir);
    await expectVadError(writeModelDir(bad, dir), 'bad_argument', /already exists/);
    const replaced = await writeModelDir({ ...bad, name: 'second' }, dir, { overwrite: true });
    expect(replaced.manifest.name).toBe('second');
    expect(await readdir(root)).toEqual(['model']);
  });

  describe('refuses an inconsistent model', () => {
    let dir: string;
    beforeEach(async () => {
      dir = join(root, 'model');
      await writeModelDir(tinyModelSpec(), dir);
    });

    it('a missing directory: file_not_found', async () => {
      await expectVadError(verifyModelDir(join(root, 'none')), 'file_not_found');
    });

    it('no manifest: model_invalid', async () => {
      await rm(join(dir, 'manifest.json'));
      await expectVadError(verifyModelDir(dir), 'model_invalid', /no manifest\.json/);
    });

    it('a manifest of another format version: model_invalid', async () => {
      await editManifest(dir, (m) => (m.formatVersion = 2));
      await expectVadError(verifyModelDir(dir), 'model_invalid', /formatVersion/);
    });

    it('a tampered file: digest_mismatch naming it', async () => {
      const bytes = await readFile(join(dir, 'onnx/regions.onnx'));
      bytes[0] ^= 1;
      await writeFile(join(dir, 'onnx/regions.onnx'), bytes);
      const e = await expectVadError(verifyModelDir(dir), 'digest_mismatch', /onnx\/regions\.onnx/);
      expect(e.details?.['file']).toBe('onnx/regions.onnx');
    });

    it('a stage digest that differs from the file: digest_mismatch', async () => {
      await editManifest(dir, (m) => (m.stages.regions.sha256 = '0'.repeat(64)));
      await expectVadError(verifyModelDir(dir), 'digest_mismatch', /stage regions/);
    });

    it('a listed file that is missing: model_invalid', async () => {
      await rm(join(dir, 'onnx/pose.onnx'));
      await expectVadError(verifyModelDir(dir), 'model_invalid', /onnx\/pose\.onnx/);
    });

    it('config.yaml that breaks the schema: config_invalid', async () => {
      await replaceFile(dir, 'config.yaml', 'model:\n  n_velocity_bins: -3\n');
      await expectVadError(verifyModelDir(dir), 'config_invalid', /n_velocity_bins/);
    });

    it('imageSize that differs from the config: model_invalid', async () => {
      await editManifest(dir, (m) => (m.imageSize = [240, 360]));
      await expectVadError(verifyModelDir(dir), 'model_invalid', /imageSize/);
    });

    it('a pose stage while the config disables pose: model_invalid', async () => {
      const yaml = (await readFile(join(dir, 'config.yaml'), 'utf8')).replace('use_pose_features: true', 'use_pose_features: false');
      await replaceFile(dir, 'config.yaml', yaml);
      await expectVadError(verifyModelDir(dir), 'model_invalid', /stage pose is present/);
    });

    async function editDensity(edit: (t: Map<string, any>, meta: Record<string, string>) => void): Promise<void> {
      const file = parseSafetensors(await readFile(join(dir, 'density.safetensors')));
      const tensors = new Map(file.tensors);
      const meta = { ...(file.metadata ?? {}) };
      edit(tensors, meta);
      await replaceFile(dir, 'density.safetensors', serializeSafetensors(tensors, meta));
    }

    it('a missing tensor of an enabled attribute: model_invalid', async () => {
      await editDensity((t) => t.delete('pose.group'));
      await expectVadError(verifyModelDir(dir), 'model_invalid', /pose\.group.*use_pose_features/);
    });

    it('a GMM whose covariances are not K×B×B: model_invalid', async () => {
      await editDensity((t) => t.set('velocity.gmm.covariances', { dtype: 'F32', shape: [2, 4], bytes: new Uint8Array(32) }));
      await expectVadError(verifyModelDir(dir), 'model_invalid', /covariances is F32 \[2, 4\], expected F32 \[2, 2, 2\]/);
    });

    it('bank and group row counts that differ: bank_invalid', async () => {
      await editDensity((t) => t.set('pose.group', { dtype: 'I32', shape: [3], bytes: new Uint8Array(new Int32Array([0, 1, 1]).buffer) }));
      await expectVadError(verifyModelDir(dir), 'bank_invalid', /4 rows but pose\.group has 3/);
    });

    it('NaN in a bank: bank_invalid', async () => {
      await editDensity((t) => {
        const b = new Float32Array(new Uint8Array(t.get('pose.bank').bytes).buffer);
        b[40] = NaN;
        t.set('pose.bank', { dtype: 'F32', shape: [4, 34], bytes: new Uint8Array(b.buffer) });
      });
      await expectVadError(verifyModelDir(dir), 'bank_invalid', /pose\.bank holds a non-finite value \(NaN\) at element 40/);
    });

    it('a group id outside __metadata__.groups: bank_invalid', async () => {
      await editDensity((_t, meta) => (meta['groups'] = '["only-one"]'));
      await expectVadError(verifyModelDir(dir), 'bank_invalid', /pose\.group\[2\] = 1/);
    });

    it('tensors of a disabled attribute: model_invalid', async () => {
      await editDensity((t) => t.set('appearance.norm', { dtype: 'F32', shape: [2], bytes: new Uint8Array(8) }));
      await expectVadError(verifyModelDir(dir), 'model_invalid', /appearance\.norm.*disables appearance/);
    });

    it('unknown extra files are warnings, not errors', async () => {
      await writeFile(join(dir, 'README.txt'), 'notes');
      const report = await verifyModelDir(dir);
      expect(report.warnings).toEqual(['unknown file README.txt ignored']);
    });
  });
});

describe('the velocity width of the built-in regions', () => {
  it("counts the matched-speed column the manifest's velocityFrom records, and refuses a bank fitted without it", async () => {
    const dir = join(root, 'default');
    await cp(defaultModelDir(), dir, { recursive: true });
    const manifest = JSON.parse(await readFile(join(dir, 'manifest.json'), 'utf8'));
    expect(manifest.stages.regions.params.velocityFrom).toBe('moving-pixels-p90+matched');
    await verifyModelDir(dir);
    await editManifest(dir, (m) => {
      m.stages.regions.params.velocityFrom = 'moving-pixels-p90';
    });
    await expectVadError(verifyModelDir(dir), 'model_invalid', /velocity\.gmm\.means/);
  });
});
