import { basename } from 'node:path';
import { AiVadModelConfigSchema } from '@vad/contracts';
import {
  densityToTensors,
  fitDensityState,
  float32,
  sha256Bytes,
  tensor,
  VAD_SERVE_VERSION,
  VadError,
  writeModelDir,
  type DensityState,
  type ModelDirReport,
} from '@vad/core';
import { configFromAnomalibYaml, modelConfigFromHyperParameters, validateMapped } from './anomalib-config';
import type { ImportOptions } from './import-options';
import { toFloat32, type PyArray } from './py-array';
import { droppedForMissingNetwork, planStages } from './stage-plan';
import { readTorchZip, tensorsOf } from './torch-zip';
import type { PickleGlobal } from './unpickler';
import { readInput } from './read-input';

/**
 * anomalib v0.7 / v1 / v2 Lightning checkpoints → a model dir. The fitted estimators live in the
 * state dict under `…density_estimator.{velocity,pose,appearance}_estimator.`: kNN `memory_bank`
 * and MinMax `normalization_statistics.{min,max}` in every version; the velocity GMM's `gmm.means`,
 * `gmm.covariances`, `gmm.weights` only since the GMM became a torch module (v0.7 keeps a
 * scikit-learn object outside the state dict). Values present are taken as they are; what is
 * missing is refitted when the data for it is there, else the attribute is dropped, and
 * manifest `source.details` lists which was which.
 */
export interface CheckpointFiles {
  readonly ckpt: string;
  /** anomalib config.yaml: image size and model keys when hyper_parameters cannot give them. */
  readonly config?: string;
}

/**
 * Modules whose objects a Lightning checkpoint pickles beside the state dict (hyper-parameter
 * containers, pre-processors, callbacks' state). They become inert placeholders: nothing of them
 * is called, and none of these modules can reach the shell or the file system. Anything else
 * (os, subprocess, builtins.eval, …) is still refused by name.
 */
const INERT_PREFIXES = [
  'anomalib.',
  'lightning.',
  'pytorch_lightning.',
  'lightning_fabric.',
  'omegaconf.',
  'torchvision.transforms.',
  'torchmetrics.',
  'jsonargparse.',
];
const INERT_EXACT = new Set(['pathlib.PosixPath', 'pathlib.WindowsPath', 'pathlib.PurePosixPath', 'torch.device', 'torch.float32', 'argparse.Namespace']);

function inertFallback(seen: Set<string>): (key: string) => PickleGlobal | undefined {
  return (key) => {
    if (!INERT_EXACT.has(key) && !INERT_PREFIXES.some((p) => key.startsWith(p))) return undefined;
    seen.add(key);
    const placeholder = () => ({ __inert: key, __setstate__: () => undefined });
    return { call: placeholder, construct: placeholder };
  };
}

/** The estimator buffers of a state dict, keyed by the part after `density_estimator.`. */
function estimatorBuffers(tensors: Map<string, PyArray>): Map<string, { key: string; value: PyArray }> {
  const out = new Map<string, { key: string; value: PyArray }>();
  for (const [key, value] of tensors) {
    const at = key.indexOf('density_estimator.');
    if (at >= 0) out.set(key.slice(at + 'density_estimator.'.length), { key, value });
  }
  return out;
}

function scalar(a: PyArray | undefined): number | undefined {
  if (!a || a.data.length !== 1) return undefined;
  const v = Number(a.data[0]);
  // MinMax starts at (+inf, −inf): an estimator that was never fitted still carries those.
  return Number.isFinite(v) ? v : undefined;
}

export async function importCheckpoint(files: CheckpointFiles, dir: string, options: ImportOptions = {}): Promise<ModelDirReport> {
  const progress = options.onStep ?? (() => undefined);
  const name = basename(files.ckpt);
  progress(`reading ${name}`);
  const bytes = await readInput(files.ckpt);
  const inert = new Set<string>();
  const root = readTorchZip(bytes, name, undefined, inertFallback(inert));
  const top = root instanceof Map ? root : undefined;
  const stateDict = top?.get('state_dict') ?? root;
  const buffers = estimatorBuffers(tensorsOf(stateDict));
  if (buffers.size === 0) {
    throw new VadError(
      'unsupported_format',
      `${name} holds no AI-VAD density estimator (no …density_estimator.* tensors in its state_dict): not an anomalib ai_vad checkpoint, or one saved before fitting`,
      { file: files.ckpt },
    );
  }
  const digests: Record<string, string> = { [name]: sha256Bytes(bytes) };

  // Config: config.yaml if given, else hyper_parameters (a dict of AiVad's arguments since v1).
  const hp = modelConfigFromHyperParameters(top?.get('hyper_parameters'));
  let mapped;
  const notes: string[] = [];
  if (files.config) {
    const text = await readInput(files.config);
    digests[basename(files.config)] = sha256Bytes(text);
    mapped = configFromAnomalibYaml(text.toString('utf8'), basename(files.config));
  } else {
    const imageSize = options.imageSize ?? [240, 360];
    if (!options.imageSize) notes.push('dataset.image_size: not in the checkpoint, assumed 240×360 (UCSD Ped2); pass the anomalib config.yaml or --image-size');
    if (!hp) notes.push('model: hyper_parameters is not a plain dict of AiVad arguments; anomalib defaults used (pass config.yaml)');
    mapped = validateMapped({ image_size: imageSize, clip_length_in_frames: 2 }, hp ?? {}, [], name);
  }
  const modelConfig: Record<string, unknown> = { ...mapped.config.model };

  const taken: string[] = [];
  const refitted: string[] = [];
  const dropped: string[] = [];
  const plan = await planStages(options.onnxDir);
  const state: DensityState = { groups: [] };
  const get = (k: string) => buffers.get(k)?.value;

  // Velocity: the GMM, or nothing (there is no velocity bank in any anomalib state dict).
  const means = get('velocity_estimator.gmm.means');
  const covariances = get('velocity_estimator.gmm.covariances');
  const weights = get('velocity_estimator.gmm.weights');
  if (means && covariances && weights && means.shape.length === 2) {
    const [K, B] = means.shape as [number, number];
    const norm = { min: scalar(get('velocity_estimator.normalization_statistics.min')), max: scalar(get('velocity_estimator.normalization_statistics.max')) };
    if (norm.min === undefined || norm.max === undefined) {
      dropped.push('velocity: the checkpoint has a GMM but no finite normalization_statistics, and no bank to recompute them from');
    } else {
      state.velocity = {
        gmm: { weights: float32(toFloat32(weights), [K]), means: float32(toFloat32(means), [K, B]), covariances: float32(toFloat32(covariances), [K, B, B]) },
        norm: { min: norm.min, max: norm.max },
      };
      taken.push(
        'velocity.gmm.weights, velocity.gmm.means, velocity.gmm.covariances ← velocity_estimator.gmm.{weights,means,covariances}',
        'velocity.norm ← velocity_estimator.normalization_statistics.{min,max}',
      );
      refitted.push('velocity.gmm.precisions_cholesky: derived from the covariances at load');
      if (modelConfig['n_velocity_bins'] !== B || modelConfig['n_components_velocity'] !== K) {
        notes.push(`model.n_velocity_bins / n_components_velocity set to ${B} / ${K} from the checkpoint's GMM`);
        modelConfig['n_velocity_bins'] = B;
        modelConfig['n_components_velocity'] = K;
      }
    }
  } else if (modelConfig['use_velocity_features'] !== false) {
    dropped.push(
      'velocity: no GMM in the state dict (anomalib v0.7 keeps its scikit-learn GMM outside it, with no bank to refit from); refit velocity with `vad fit` if you need it',
    );
  }
  modelConfig['use_velocity_features'] = state.velocity !== undefined;

  for (const attribute of ['pose', 'appearance'] as const) {
    const prefix = `${attribute}_estimator.`;
    const key = attribute === 'pose' ? 'use_pose_features' : 'use_deep_features';
    const bank = get(`${prefix}memory_bank`);
    modelConfig[key] = false;
    if (!bank || bank.shape.length !== 2 || bank.shape[0] === 0) continue;
    if (!plan.runnable.has(attribute)) {
      dropped.push(droppedForMissingNetwork(attribute));
      continue;
    }
    const [n, d] = bank.shape as [number, number];
    const groupIndex = get(`${prefix}group_index`);
    let group: Int32Array;
    if (groupIndex && groupIndex.data.length === n) {
      group = Int32Array.from(groupIndex.data as ArrayLike<number | bigint>, (v) => Number(v));
      const count = Math.max(...group) + 1;
      // anomalib keeps the group (video) names in a plain attribute, outside the state dict.
      for (let g = state.groups.length; g < count; g++) state.groups.push(`group-${g}`);
      taken.push(`${attribute}.group ← ${prefix}group_index (names are not in the checkpoint: group-0…)`);
    } else {
      if (state.groups.length === 0) state.groups.push('all');
      group = new Int32Array(n);
      notes.push(
        `${attribute}: no group index in the state dict (anomalib keeps it outside); every row is in group "all", so leave-one-group-out statistics cannot be recomputed`,
      );
    }
    const min = scalar(get(`${prefix}normalization_statistics.min`));
    const max = scalar(get(`${prefix}normalization_statistics.max`));
    const k = attribute === 'pose' ? Number(modelConfig['n_neighbors_pose'] ?? 1) : Number(modelConfig['n_neighbors_deep'] ?? 1);
    const knn = {
      bank: float32(toFloat32(bank), [n, d]),
      group: tensor('int32', group, [n]),
      k: AiVadModelConfigSchema.parse(modelConfig).knn_neighbors_from === 'anomalib' ? 1 : k,
    };
    taken.push(`${attribute}.bank ← ${prefix}memory_bank [${n}, ${d}]`);
    if (min !== undefined && max !== undefined) {
      state[attribute] = { ...knn, norm: { min, max } };
      taken.push(`${attribute}.norm ← ${prefix}normalization_statistics.{min,max}`);
    } else if (new Set(group).size > 1) {
      progress(`refitting ${attribute} normalisation`);
      const refit = await fitDensityState(
        { groups: state.groups, [attribute]: { features: knn.bank, group } },
        AiVadModelConfigSchema.parse({
          ...modelConfig,
          use_velocity_features: false,
          use_pose_features: attribute === 'pose',
          use_deep_features: attribute === 'appearance',
        }),
      );
      state[attribute] = refit[attribute];
      refitted.push(`${attribute}.norm: leave-one-group-out min-max (the checkpoint's statistics are missing)`);
    } else {
      dropped.push(`${attribute}: no finite normalization_statistics and no groups to recompute them from`);
      continue;
    }
    modelConfig[key] = true;
  }
  if (!state.velocity && !state.pose && !state.appearance) {
    throw new VadError('no_attributes', `${name}: nothing left to import: ${dropped.join('; ')}`, { file: files.ckpt });
  }
  if (!plan.stages.regions && modelConfig['enable_foreground_detections'] === false) {
    modelConfig['enable_foreground_detections'] = true;
    plan.substituted.push(
      'model.enable_foreground_detections: set to true, since without onnx/regions.onnx foreground detection is the only source of regions',
    );
  }

  const epoch = top?.get('epoch');
  const lightning = top?.get('pytorch-lightning_version');
  progress('writing the model directory');
  return writeModelDir(
    {
      name: options.name ?? 'anomalib-ai-vad',
      config: { ...mapped.config, model: modelConfig },
      density: densityToTensors(state, `vad-serve ${VAD_SERVE_VERSION} (taken from anomalib checkpoint ${name})`),
      stages: plan.stages,
      source: {
        kind: 'anomalib-ckpt',
        details: {
          files: digests,
          anomalib: means ? 'v1.x/v2 (torch GMM buffers)' : 'v0.7-style (no GMM in the state dict)',
          ...(typeof epoch === 'number' ? { epoch } : {}),
          ...(typeof lightning === 'string' ? { lightning } : {}),
          taken,
          refitted,
          missing: [...dropped, ...plan.substituted],
          ...(notes.length ? { notes } : {}),
          ...(inert.size ? { inertObjects: [...inert].sort() } : {}),
          ...(plan.supplied.length ? { networks: plan.supplied.map((s) => s.replace(/: .*\//, ': ')) } : {}),
          ...(mapped.ignored.length ? { configIgnored: mapped.ignored } : {}),
        },
      },
      ...(options.createdAt ? { createdAt: options.createdAt } : {}),
    },
    dir,
    { overwrite: options.overwrite ?? false },
  );
}
