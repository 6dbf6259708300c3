import { randomBytes } from 'node:crypto';
import { copyFile, mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { AiVadConfigSchema, MODEL_FORMAT_VERSION, STAGE_FILES, type Manifest, type Stage, type StageName } from '@vad/contracts';
import { stringify as stringifyYaml } from 'yaml';
import { VadError } from '../errors';
import { sha256File } from './digest';
import { serializeSafetensors, type SafetensorsEntry } from './safetensors';
import { CONFIG_FILE, DENSITY_FILE, MANIFEST_FILE, verifyModelDir, type ModelDirReport } from './verify-model-dir';

/** vad-serve's version as recorded in `createdBy`. */
export const VAD_SERVE_VERSION = '0.1.0';

/** A stage to write: an ONNX network (bytes, or a path to copy), a built-in producer, or absent. */
export type StageInput =
  | null
  | { readonly kind: 'onnx'; readonly model: Uint8Array | string }
  | { readonly kind: 'builtin'; readonly name: string; readonly params?: Record<string, unknown> };

export interface DensityTensors {
  readonly tensors: Iterable<[string, SafetensorsEntry]> | Record<string, SafetensorsEntry>;
  readonly metadata: Record<string, string>;
}

export interface ModelDirSpec {
  readonly name: string;
  /** anomalib-style config object (dataset:, model:); written as config.yaml. */
  readonly config: Record<string, unknown>;
  /** density.safetensors: tensors + metadata (see density-io.ts densityToTensors), or finished bytes. */
  readonly density: DensityTensors | Uint8Array;
  readonly stages: Partial<Record<StageName, StageInput>>;
  readonly source: Manifest['source'];
  readonly createdAt?: Date;
  readonly threshold?: Manifest['threshold'];
}

export interface WriteModelDirOptions {
  /** Replace an existing directory (default: refuse). */
  readonly overwrite?: boolean;
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Refuses an existing `dir` unless overwriting. Fitting calls this before its (long) feature pass
 * too, so a user does not wait out a whole fit to learn the output folder is taken.
 */
export async function assertWritableTarget(dir: string, options: WriteModelDirOptions = {}): Promise<string> {
  const target = resolve(dir);
  if ((await exists(target)) && !options.overwrite) {
    throw new VadError('bad_argument', `${target} already exists; remove it or pass overwrite (--overwrite on the command line)`, { dir: target });
  }
  return target;
}

/**
 * Writes a complete model directory (model-format.md) with digests in manifest.json. The files go
 * into a temporary directory beside `dir`, which is verified and then renamed into place, so a crash
 * or an invalid model never leaves a half-written `dir`.
 */
export async function writeModelDir(spec: ModelDirSpec, dir: string, options: WriteModelDirOptions = {}): Promise<ModelDirReport> {
  const target = await assertWritableTarget(dir, options);
  const parsedConfig = AiVadConfigSchema.safeParse(spec.config);
  if (!parsedConfig.success)
    throw new VadError('config_invalid', `model config: ${parsedConfig.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);

  await mkdir(dirname(target), { recursive: true });
  const tmp = join(dirname(target), `.${basename(target)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(tmp);
  try {
    const files: Record<string, string> = {};
    await writeFile(join(tmp, CONFIG_FILE), stringifyYaml(spec.config));
    const densityBytes = spec.density instanceof Uint8Array ? spec.density : serializeSafetensors(spec.density.tensors, spec.density.metadata);
    await writeFile(join(tmp, DENSITY_FILE), densityBytes);

    const stages: Record<StageName, Stage | null> = { regions: null, flow: null, pose: null, appearance: null };
    for (const name of Object.keys(STAGE_FILES) as StageName[]) {
      const input = spec.stages[name] ?? null;
      if (input === null) continue;
      if (input.kind === 'builtin') {
        stages[name] = { kind: 'builtin', name: input.name, params: input.params ?? {} };
        continue;
      }
      const file = STAGE_FILES[name];
      await mkdir(join(tmp, dirname(file)), { recursive: true });
      if (typeof input.model === 'string') {
        try {
          await copyFile(input.model, join(tmp, file));
        } catch (e) {
          throw new VadError('file_not_found', `${name} network ${input.model} cannot be read: ${(e as Error).message}`, { file: input.model });
        }
      } else {
        await writeFile(join(tmp, file), input.model);
      }
      const sha256 = await sha256File(join(tmp, file));
      stages[name] = { kind: 'onnx', file, sha256 };
      files[file] = sha256;
    }
    files[CONFIG_FILE] = await sha256File(join(tmp, CONFIG_FILE));
    files[DENSITY_FILE] = await sha256File(join(tmp, DENSITY_FILE));

    const sortedFiles = Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : 1)));
    const manifest: Manifest = {
      formatVersion: MODEL_FORMAT_VERSION,
      name: spec.name,
      createdAt: (spec.createdAt ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z'),
      createdBy: `vad-serve ${VAD_SERVE_VERSION}`,
      imageSize: parsedConfig.data.dataset.image_size,
      stages,
      files: sortedFiles,
      source: spec.source,
      ...(spec.threshold ? { threshold: spec.threshold } : {}),
    };
    await writeFile(join(tmp, MANIFEST_FILE), JSON.stringify(manifest, null, 2) + '\n');
    const report = await verifyModelDir(tmp);

    if (await exists(target)) {
      const old = `${tmp}.old`;
      await rename(target, old);
      await rename(tmp, target);
      await rm(old, { recursive: true, force: true });
    } else {
      await rename(tmp, target);
    }
    return { ...report, dir: target };
  } catch (e) {
    await rm(tmp, { recursive: true, force: true });
    throw e;
  }
}
