import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import {
  AiVadConfigSchema,
  CONFIG_FILE,
  DENSITY_FILE,
  DENSITY_TENSORS,
  MANIFEST_FILE,
  ManifestSchema,
  enabledAttributes,
  type AiVadConfig,
  type AttributeName,
  type Manifest,
  type StageName,
} from '@vad/contracts';
import { parse as parseYaml } from 'yaml';
import { VadError } from '../errors';
import { BUILTIN_REGIONS_NAME, parseMotionRegionParams, velocityWidth } from '../regions/motion-regions';
import { sha256Bytes, sha256File } from './digest';
import { entryToFloat32, entryToInt32, parseSafetensors, type SafetensorsEntry, type SafetensorsFile } from './safetensors';

// model-format.md's file names are the contracts' (re-exported: vad-core's users import them here).
export { CONFIG_FILE, DENSITY_FILE, MANIFEST_FILE };

export interface ModelFileReport {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
}

export interface DensityTensorSummary {
  readonly name: string;
  readonly dtype: string;
  readonly shape: readonly number[];
}

export interface ModelDirReport {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly config: AiVadConfig;
  readonly attributes: AttributeName[];
  /** Every file listed in the manifest, digest checked. */
  readonly files: ModelFileReport[];
  readonly density: { readonly tensors: DensityTensorSummary[]; readonly metadata: Record<string, string>; readonly groups: string[] };
  /** Not fatal: unknown files, a GMM size that differs from the config. */
  readonly warnings: string[];
  /** The parsed density file, so a loader need not read it twice. */
  readonly densityFile: SafetensorsFile;
  /** sha256 of manifest.json's bytes (it names every file's digest, so it identifies the model). */
  readonly manifestSha256: string;
}

function describeZod(issues: readonly { path: readonly PropertyKey[]; message: string }[]): string {
  return issues.map((i) => `${i.path.map(String).join('.') || '(root)'}: ${i.message}`).join('; ');
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true, recursive: true })) {
    if (e.isDirectory()) continue;
    const parent = (e as { parentPath?: string; path?: string }).parentPath ?? (e as { path: string }).path;
    out.push(relative(dir, join(parent, e.name)).split(sep).join('/'));
  }
  return out.sort();
}

/** manifest.json parsed, and the sha256 of its bytes (read once). */
async function readManifest(dir: string): Promise<{ manifest: Manifest; sha256: string }> {
  const path = join(dir, MANIFEST_FILE);
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch {
    throw new VadError('model_invalid', `${dir} has no ${MANIFEST_FILE}: not a vad-serve model directory (build one with \`nx run artifacts:pack\`)`, {
      file: MANIFEST_FILE,
    });
  }
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (e) {
    throw new VadError('model_invalid', `${MANIFEST_FILE} is not JSON: ${(e as Error).message}`, { file: MANIFEST_FILE });
  }
  const parsed = ManifestSchema.safeParse(json);
  if (!parsed.success)
    throw new VadError('model_invalid', `${MANIFEST_FILE} does not follow model format v1: ${describeZod(parsed.error.issues)}`, { file: MANIFEST_FILE });
  return { manifest: parsed.data, sha256: sha256Bytes(bytes) };
}

/** Parses config.yaml text with the anomalib defaults; a VadError('config_invalid') says what is wrong. */
export function parseModelConfig(text: string, source = CONFIG_FILE): AiVadConfig {
  let doc: unknown;
  try {
    doc = parseYaml(text);
  } catch (e) {
    throw new VadError('config_invalid', `${source} is not YAML: ${(e as Error).message}`, { file: source });
  }
  const parsed = AiVadConfigSchema.safeParse(doc ?? {});
  if (!parsed.success) throw new VadError('config_invalid', `${source}: ${describeZod(parsed.error.issues)}`, { file: source });
  return parsed.data;
}

function need(density: SafetensorsFile, name: string, why: string): SafetensorsEntry {
  const t = density.tensors.get(name);
  if (!t) throw new VadError('model_invalid', `${DENSITY_FILE} lacks ${name}, required because ${why}`, { tensor: name });
  return t;
}

function expectShape(name: string, t: SafetensorsEntry, dtype: string, shape: readonly (number | null)[]): void {
  const ok = t.dtype === dtype && t.shape.length === shape.length && shape.every((d, i) => d === null || d === t.shape[i]);
  if (!ok) {
    const want = shape.map((d) => (d === null ? '*' : String(d))).join(', ');
    throw new VadError('model_invalid', `${DENSITY_FILE}: ${name} is ${t.dtype} [${t.shape.join(', ')}], expected ${dtype} [${want}]`, { tensor: name });
  }
}

function assertFinite(name: string, t: SafetensorsEntry): void {
  const v = entryToFloat32(t, name);
  for (let i = 0; i < v.length; i++) {
    if (!Number.isFinite(v[i]!)) {
      throw new VadError('bank_invalid', `${DENSITY_FILE}: ${name} holds a non-finite value (${v[i]}) at element ${i}; refit the model`, {
        tensor: name,
        index: i,
      });
    }
  }
}

function checkNorm(name: string, t: SafetensorsEntry): void {
  expectShape(name, t, 'F32', [2]);
  assertFinite(name, t);
  const v = entryToFloat32(t, name);
  if (v[0]! > v[1]!) throw new VadError('bank_invalid', `${DENSITY_FILE}: ${name} has min ${v[0]} > max ${v[1]}`, { tensor: name });
}

function parseGroups(metadata: Record<string, string>): string[] {
  const raw = metadata['groups'] ?? '[]';
  let groups: unknown;
  try {
    groups = JSON.parse(raw);
  } catch {
    groups = undefined;
  }
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) {
    throw new VadError('model_invalid', `${DENSITY_FILE}: __metadata__.groups must be a JSON array of strings`, { metadata: 'groups' });
  }
  return groups as string[];
}

/**
 * The density tensors against the config (model-format.md): an attribute's tensors are present iff
 * it is enabled, shapes agree with each other and with the config, banks are finite.
 */
export function checkDensity(
  density: SafetensorsFile,
  config: AiVadConfig,
  warnings: string[] = [],
  /**
   * Columns of the velocity features (velocityWidth: the bins, plus one with the built-in regions'
   * matched speed); null when the regions stage is one this build does not know (the loader refuses it).
   */
  velocityColumns: number | null = config.model.n_velocity_bins,
): string[] {
  const model = config.model;
  const enabled = new Set(enabledAttributes(model));
  const metadata = density.metadata ?? {};
  const groups = parseGroups(metadata);

  for (const attribute of ['velocity', 'pose', 'appearance'] as const) {
    if (enabled.has(attribute)) continue;
    const stray = Object.values(DENSITY_TENSORS[attribute]).filter((n) => density.tensors.has(n));
    if (stray.length > 0) {
      throw new VadError('model_invalid', `${DENSITY_FILE} holds ${stray.join(', ')} but the config disables ${attribute} features`, { tensors: stray });
    }
  }

  if (enabled.has('velocity')) {
    const names = DENSITY_TENSORS.velocity;
    const why = 'model.use_velocity_features is true';
    const B = velocityColumns;
    const weights = need(density, names.weights, why);
    expectShape(names.weights, weights, 'F32', [null]);
    const K = weights.shape[0]!;
    if (K === 0) throw new VadError('bank_invalid', `${DENSITY_FILE}: the velocity GMM has no components`);
    if (K !== model.n_components_velocity) {
      warnings.push(`velocity GMM has ${K} components, config says n_components_velocity ${model.n_components_velocity}; the file wins`);
    }
    expectShape(names.means, need(density, names.means, why), 'F32', [K, B]);
    expectShape(names.covariances, need(density, names.covariances, why), 'F32', [K, B, B]);
    const prec = density.tensors.get(names.precisionsCholesky);
    if (prec) expectShape(names.precisionsCholesky, prec, 'F32', [K, B, B]);
    checkNorm(names.norm, need(density, names.norm, why));
    const bank = density.tensors.get(names.bank);
    if (bank) expectShape(names.bank, bank, 'F32', [null, B]);
    for (const n of [names.weights, names.means, names.covariances, names.precisionsCholesky, names.bank]) {
      const t = density.tensors.get(n);
      if (t) assertFinite(n, t);
    }
  }

  for (const attribute of ['pose', 'appearance'] as const) {
    if (!enabled.has(attribute)) continue;
    const names = DENSITY_TENSORS[attribute];
    const why = attribute === 'pose' ? 'model.use_pose_features is true' : 'model.use_deep_features is true';
    const bank = need(density, names.bank, why);
    expectShape(names.bank, bank, 'F32', attribute === 'pose' ? [null, 34] : [null, null]);
    const group = need(density, names.group, why);
    expectShape(names.group, group, 'I32', [null]);
    const rows = bank.shape[0]!;
    if (rows === 0) throw new VadError('bank_invalid', `${DENSITY_FILE}: ${names.bank} is empty`, { tensor: names.bank });
    if (group.shape[0] !== rows) {
      throw new VadError('bank_invalid', `${DENSITY_FILE}: ${names.bank} has ${rows} rows but ${names.group} has ${group.shape[0]}`, { tensor: names.group });
    }
    assertFinite(names.bank, bank);
    const ids = entryToInt32(group, names.group);
    for (let i = 0; i < ids.length; i++) {
      if (ids[i]! < 0 || ids[i]! >= groups.length) {
        throw new VadError(
          'bank_invalid',
          `${DENSITY_FILE}: ${names.group}[${i}] = ${ids[i]} is not an index into the ${groups.length} groups of __metadata__.groups`,
          { tensor: names.group, index: i },
        );
      }
    }
    checkNorm(names.norm, need(density, names.norm, why));
  }
  return warnings;
}

const STAGE_FOR_ATTRIBUTE: Record<'pose' | 'appearance', { stage: StageName; key: string }> = {
  pose: { stage: 'pose', key: 'use_pose_features' },
  appearance: { stage: 'appearance', key: 'use_deep_features' },
};

/**
 * Verifies a model directory against model format v1: manifest schema, every `files` digest
 * (streamed), config, stages vs config, density tensors vs config. Throws the first problem as a
 * VadError (model_invalid, digest_mismatch, config_invalid, bank_invalid); unknown files are warnings.
 */
export async function verifyModelDir(dir: string): Promise<ModelDirReport> {
  try {
    if (!(await stat(dir)).isDirectory()) throw new Error('not a directory');
  } catch {
    throw new VadError('file_not_found', `model directory ${dir} does not exist or is not a directory`, { dir });
  }
  const { manifest, sha256: manifestSha256 } = await readManifest(dir);
  const warnings: string[] = [];
  for (const required of [CONFIG_FILE, DENSITY_FILE]) {
    if (!(required in manifest.files)) throw new VadError('model_invalid', `${MANIFEST_FILE} does not list ${required} in files`, { file: required });
  }

  const present = new Set(await listFiles(dir));
  const files: ModelFileReport[] = [];
  for (const [path, expected] of Object.entries(manifest.files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (!present.has(path)) throw new VadError('model_invalid', `${MANIFEST_FILE} lists ${path} but the file is missing`, { file: path });
    const actual = await sha256File(join(dir, path));
    if (actual !== expected) {
      throw new VadError('digest_mismatch', `${path}: sha256 ${actual} does not match the manifest (${expected}); the file was changed or damaged`, {
        file: path,
        expected,
        actual,
      });
    }
    files.push({ path, sha256: actual, bytes: (await stat(join(dir, path))).size });
  }

  const config = parseModelConfig(await readFile(join(dir, CONFIG_FILE), 'utf8'));
  const [h, w] = config.dataset.image_size;
  if (manifest.imageSize[0] !== h || manifest.imageSize[1] !== w) {
    throw new VadError('model_invalid', `manifest imageSize [${manifest.imageSize.join(', ')}] differs from config dataset.image_size [${h}, ${w}]`);
  }

  for (const attribute of ['pose', 'appearance'] as const) {
    const { stage, key } = STAGE_FOR_ATTRIBUTE[attribute];
    const on = (config.model as Record<string, unknown>)[key] === true;
    const has = manifest.stages[stage] !== null;
    if (on !== has) {
      throw new VadError(
        'model_invalid',
        has ? `stage ${stage} is present but config model.${key} is false` : `config model.${key} is true but the manifest has no ${stage} stage`,
        { stage },
      );
    }
  }
  const stageFiles = new Set<string>();
  for (const [name, stage] of Object.entries(manifest.stages)) {
    if (stage?.kind !== 'onnx') continue;
    stageFiles.add(stage.file);
    if (!present.has(stage.file)) throw new VadError('model_invalid', `stage ${name} needs ${stage.file}, which is missing`, { stage: name, file: stage.file });
    const listed = manifest.files[stage.file];
    const actual = listed !== undefined && listed === stage.sha256 ? listed : await sha256File(join(dir, stage.file));
    if (actual !== stage.sha256) {
      throw new VadError('digest_mismatch', `${stage.file}: sha256 ${actual} does not match stage ${name} (${stage.sha256})`, {
        file: stage.file,
        stage: name,
      });
    }
    if (listed === undefined) warnings.push(`${stage.file} (stage ${name}) is not listed in manifest files`);
  }

  const densityFile = parseSafetensors(await readFile(join(dir, DENSITY_FILE)), DENSITY_FILE);
  const regions = manifest.stages.regions;
  // The built-in regions' params decide the velocity width (bad params are refused here, by name);
  // another builtin name is the loader's to refuse, with a clearer message than a width.
  const builtin = regions?.kind === 'builtin' ? regions : undefined;
  const known = builtin === undefined || builtin.name === BUILTIN_REGIONS_NAME;
  const motion = builtin?.name === BUILTIN_REGIONS_NAME ? parseMotionRegionParams(builtin.params) : undefined;
  checkDensity(densityFile, config, warnings, known ? velocityWidth(config.model.n_velocity_bins, motion) : null);

  for (const path of present) {
    if (path !== MANIFEST_FILE && !(path in manifest.files) && !stageFiles.has(path)) warnings.push(`unknown file ${path} ignored`);
  }

  const metadata = densityFile.metadata ?? {};
  return {
    dir,
    manifest,
    config,
    attributes: enabledAttributes(config.model),
    files,
    density: {
      tensors: [...densityFile.tensors].map(([name, t]) => ({ name, dtype: t.dtype, shape: [...t.shape] })),
      metadata,
      groups: parseGroups(metadata),
    },
    warnings,
    densityFile,
    manifestSha256,
  };
}
