import { DENSITY_TENSORS } from '@vad/contracts';
import { readFile } from 'node:fs/promises';
import type { DensityState, KnnDensity } from '../density/density-state';
import type { MinMax } from '../density/normalize';
import { VadError } from '../errors';
import { float32, tensor, type Float32Tensor } from '../tensor';
import { entryFromTensor, entryToFloat32, entryToInt32, parseSafetensors, type SafetensorsEntry, type SafetensorsFile } from './safetensors';
import { VAD_SERVE_VERSION, type DensityTensors } from './write-model-dir';

/**
 * DensityState ⇄ the tensors and `__metadata__` of density.safetensors (model-format.md). Pure
 * mapping: shape and consistency checks against a config live in verify-model-dir.ts.
 */

const normEntry = (n: MinMax): SafetensorsEntry => entryFromTensor(float32([n.min, n.max], [2]));

export function densityToTensors(state: DensityState, fittedWith = `vad-serve ${VAD_SERVE_VERSION}`): DensityTensors {
  const tensors: Record<string, SafetensorsEntry> = {};
  const metadata: Record<string, string> = { groups: JSON.stringify(state.groups), fitted_with: fittedWith };
  if (state.velocity) {
    const names = DENSITY_TENSORS.velocity;
    const { gmm, norm, bank } = state.velocity;
    tensors[names.weights] = entryFromTensor(gmm.weights);
    tensors[names.means] = entryFromTensor(gmm.means);
    tensors[names.covariances] = entryFromTensor(gmm.covariances);
    if (gmm.precisionsCholesky) tensors[names.precisionsCholesky] = entryFromTensor(gmm.precisionsCholesky);
    tensors[names.norm] = normEntry(norm);
    if (bank) tensors[names.bank] = entryFromTensor(bank);
  }
  for (const attribute of ['pose', 'appearance'] as const) {
    const knn = state[attribute];
    if (!knn) continue;
    const names = DENSITY_TENSORS[attribute];
    tensors[names.bank] = entryFromTensor(knn.bank);
    tensors[names.group] = entryFromTensor(knn.group);
    tensors[names.norm] = normEntry(knn.norm);
    metadata[attribute === 'pose' ? 'k_pose' : 'k_appearance'] = String(knn.k);
  }
  return { tensors, metadata };
}

function floatTensor(file: SafetensorsFile, name: string): Float32Tensor {
  const e = file.tensors.get(name);
  if (!e) throw new VadError('model_invalid', `density.safetensors lacks ${name}`, { tensor: name });
  return float32(entryToFloat32(e, name), e.shape);
}

function optionalFloatTensor(file: SafetensorsFile, name: string): Float32Tensor | undefined {
  return file.tensors.has(name) ? floatTensor(file, name) : undefined;
}

function readNorm(file: SafetensorsFile, name: string): MinMax {
  const t = floatTensor(file, name);
  if (t.data.length !== 2) throw new VadError('model_invalid', `${name} must hold [min, max], has shape [${t.shape.join(', ')}]`, { tensor: name });
  return { min: t.data[0]!, max: t.data[1]! };
}

function readK(metadata: Record<string, string>, key: string): number {
  const raw = metadata[key];
  if (raw === undefined) return 1;
  const k = Number(raw);
  if (!Number.isInteger(k) || k < 1)
    throw new VadError('model_invalid', `density.safetensors __metadata__.${key} = ${JSON.stringify(raw)} is not a positive integer`);
  return k;
}

/** The state held by a parsed density.safetensors; an attribute is present iff its bank/GMM is. */
export function densityFromTensors(file: SafetensorsFile): DensityState {
  const metadata = file.metadata ?? {};
  let groups: unknown;
  try {
    groups = JSON.parse(metadata['groups'] ?? '[]');
  } catch {
    groups = undefined;
  }
  if (!Array.isArray(groups) || !groups.every((g) => typeof g === 'string')) {
    throw new VadError('model_invalid', 'density.safetensors __metadata__.groups must be a JSON array of strings');
  }
  const state: DensityState = { groups };
  const v = DENSITY_TENSORS.velocity;
  if (file.tensors.has(v.weights)) {
    const precisionsCholesky = optionalFloatTensor(file, v.precisionsCholesky);
    const bank = optionalFloatTensor(file, v.bank);
    state.velocity = {
      gmm: {
        weights: floatTensor(file, v.weights),
        means: floatTensor(file, v.means),
        covariances: floatTensor(file, v.covariances),
        ...(precisionsCholesky ? { precisionsCholesky } : {}),
      },
      norm: readNorm(file, v.norm),
      ...(bank ? { bank } : {}),
    };
  }
  for (const attribute of ['pose', 'appearance'] as const) {
    const names = DENSITY_TENSORS[attribute];
    if (!file.tensors.has(names.bank)) continue;
    const groupEntry = file.tensors.get(names.group);
    if (!groupEntry) throw new VadError('model_invalid', `density.safetensors has ${names.bank} but lacks ${names.group}`, { tensor: names.group });
    const knn: KnnDensity = {
      bank: floatTensor(file, names.bank),
      group: tensor('int32', entryToInt32(groupEntry, names.group), groupEntry.shape),
      norm: readNorm(file, names.norm),
      k: readK(metadata, attribute === 'pose' ? 'k_pose' : 'k_appearance'),
    };
    state[attribute] = knn;
  }
  return state;
}

export async function readDensityFile(path: string): Promise<DensityState> {
  let bytes: Buffer;
  try {
    bytes = await readFile(path);
  } catch (e) {
    throw new VadError('file_not_found', `cannot read ${path}: ${(e as Error).message}`, { file: path });
  }
  return densityFromTensors(parseSafetensors(bytes, path));
}
