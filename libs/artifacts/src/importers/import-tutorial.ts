import { basename } from 'node:path';
import { AiVadModelConfigSchema, enabledAttributes, type AttributeName } from '@vad/contracts';
import {
  densityToTensors,
  fitDensityState,
  float32,
  sha256Bytes,
  VAD_SERVE_VERSION,
  VadError,
  writeModelDir,
  type AttributeTrainingFeatures,
  type ModelDirReport,
  type TrainingFeatures,
} from '@vad/core';
import { configFromAnomalibYaml } from './anomalib-config';
import { readJoblib } from './joblib';
import { isPyArray, toFloat32, type PyArray } from './py-array';
import { droppedForMissingNetwork, planStages } from './stage-plan';
import { readTorchZip, tensorsOf } from './torch-zip';
import type { ImportOptions } from './import-options';
import { readInput } from './read-input';

/**
 * The anomalib tutorial's seed files → a model dir. The banks are raw training features, so the
 * estimators are fitted here with vad-core (velocity GMM with min-max over its bank; pose and
 * appearance kNN with leave-one-video-out min-max), exactly as `vad fit` would from the same features.
 */
export interface TutorialFiles {
  readonly banks: string;
  readonly config: string;
  /** The state dict the ONNX networks are exported from; read to check it and record its digest. */
  readonly weights?: string;
}

function rows(a: unknown, what: string, width?: number): PyArray {
  if (!isPyArray(a) || a.shape.length !== 2) throw new VadError('bank_invalid', `${what} is not a 2-D tensor`);
  if (width !== undefined && a.shape[1] !== width) throw new VadError('bank_invalid', `${what} has ${a.shape[1]} columns, expected ${width}`);
  return a;
}

/** A dict video id → [n, D] tensor as one bank with a group id per row. */
function groupedBank(banks: unknown, what: string, groups: string[], width?: number): AttributeTrainingFeatures {
  if (!(banks instanceof Map) || banks.size === 0) throw new VadError('bank_invalid', `${what} is not a dict of video id → tensor`);
  const parts: { data: Float32Array; group: number }[] = [];
  let dim = width;
  for (const [id, t] of banks) {
    const a = rows(t, `${what}[${JSON.stringify(id)}]`, dim);
    dim = a.shape[1]!;
    let g = groups.indexOf(String(id));
    if (g < 0) g = groups.push(String(id)) - 1;
    parts.push({ data: toFloat32(a), group: g });
  }
  const n = parts.reduce((s, p) => s + p.data.length / dim!, 0);
  const data = new Float32Array(n * dim!);
  const group = new Int32Array(n);
  let at = 0;
  for (const p of parts) {
    data.set(p.data, at * dim!);
    group.fill(p.group, at, at + p.data.length / dim!);
    at += p.data.length / dim!;
  }
  return { features: float32(data, [n, dim!]), group };
}

export async function importTutorialFiles(files: TutorialFiles, dir: string, options: ImportOptions = {}): Promise<ModelDirReport> {
  const progress = options.onStep ?? (() => undefined);
  const configBytes = await readInput(files.config);
  const mapped = configFromAnomalibYaml(configBytes.toString('utf8'), basename(files.config));
  const model = mapped.parsed.model;

  const digests: Record<string, string> = { [basename(files.config)]: sha256Bytes(configBytes) };
  let weights: Record<string, unknown> | undefined;
  if (files.weights) {
    progress(`reading ${basename(files.weights)}`);
    const bytes = await readInput(files.weights);
    digests[basename(files.weights)] = sha256Bytes(bytes);
    const tensors = tensorsOf(readTorchZip(bytes, basename(files.weights)));
    const prefixes = ['region_extractor', 'flow_extractor', 'feature_extractor.pose_extractor', 'feature_extractor.deep_extractor'];
    weights = { tensors: tensors.size, networks: prefixes.filter((p) => [...tensors.keys()].some((k) => k.startsWith(p) || k.startsWith(`model.${p}`))) };
  }

  progress(`reading ${basename(files.banks)}`);
  const banksBytes = await readInput(files.banks);
  digests[basename(files.banks)] = sha256Bytes(banksBytes);
  const banks = readJoblib(banksBytes, basename(files.banks));
  if (!Array.isArray(banks) || banks.length !== 3) {
    throw new VadError('unsupported_format', `${basename(files.banks)} is not the tutorial's (velocity, pose, appearance) tuple of banks`, {
      file: files.banks,
    });
  }
  const [velocityBank, poseBanks, appearanceBanks] = banks as [unknown, unknown, unknown];

  const plan = await planStages(options.onnxDir);
  const dropped: string[] = [];
  const groups: string[] = [];
  const training: TrainingFeatures = { groups };
  const modelConfig: Record<string, unknown> = { ...mapped.config.model };
  const keyOf: Record<AttributeName, string> = { velocity: 'use_velocity_features', pose: 'use_pose_features', appearance: 'use_deep_features' };
  const bankOf: Record<AttributeName, unknown> = { velocity: velocityBank, pose: poseBanks, appearance: appearanceBanks };
  for (const attribute of ['velocity', 'pose', 'appearance'] as const) {
    const on = enabledAttributes(model).includes(attribute);
    const bank = bankOf[attribute];
    if (on && bank === null)
      throw new VadError('bank_invalid', `the config enables ${attribute} features but ${basename(files.banks)} holds None for them`, { file: files.banks });
    if (!on || bank === null) continue;
    if (!plan.runnable.has(attribute)) {
      dropped.push(droppedForMissingNetwork(attribute as 'pose' | 'appearance'));
      modelConfig[keyOf[attribute]] = false;
      continue;
    }
    if (attribute === 'velocity') {
      const a = rows(bank, 'velocity bank', model.n_velocity_bins);
      // The tutorial stacks velocity features of all videos: the GMM needs no groups.
      training.velocity = { features: float32(toFloat32(a), a.shape), group: new Int32Array(a.shape[0]!) };
    } else {
      training[attribute] = groupedBank(bank, `${attribute} banks`, groups, attribute === 'pose' ? 34 : undefined);
    }
  }
  if (!modelConfig['use_velocity_features'] && !modelConfig['use_pose_features'] && !modelConfig['use_deep_features']) {
    throw new VadError('no_attributes', `nothing left to import: ${dropped.join('; ') || 'the config enables no attribute'}`);
  }
  if (training.velocity && groups.length === 0) groups.push('all');
  const config = { ...mapped.config, model: modelConfig };
  if (!plan.stages.regions && modelConfig['enable_foreground_detections'] === false) {
    modelConfig['enable_foreground_detections'] = true;
    plan.substituted.push(
      'model.enable_foreground_detections: set to true, since without onnx/regions.onnx foreground detection is the only source of regions',
    );
  }

  progress('fitting density estimators');
  const state = await fitDensityState(training, AiVadModelConfigSchema.parse(modelConfig), { seed: 0 });
  const fitted = Object.keys(state).filter((k) => k !== 'groups');
  progress('writing the model directory');
  return writeModelDir(
    {
      name: options.name ?? 'anomalib-ai-vad',
      config,
      density: densityToTensors(state, `vad-serve ${VAD_SERVE_VERSION} (fitted from anomalib tutorial banks)`),
      stages: plan.stages,
      source: {
        kind: 'anomalib-seed-files',
        details: {
          files: digests,
          ...(weights ? { weights } : {}),
          taken: fitted.map((a) => `${a}: training features (${a === 'velocity' ? 'bank' : 'bank, groups = video ids'})`),
          refitted: fitted.map((a) =>
            a === 'velocity' ? 'velocity: GMM (vad-core EM, seed 0) and min-max over the bank' : `${a}: leave-one-video-out min-max`,
          ),
          missing: [...dropped, ...plan.substituted],
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
