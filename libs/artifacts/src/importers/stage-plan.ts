import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { STAGE_FILES, type AttributeName, type StageName } from '@vad/contracts';
import { BUILTIN_FLOW_NAME, DEFAULT_BUILTIN_FLOW_PARAMS, type StageInput } from '@vad/core';

/**
 * Which stages an imported model gets. anomalib's networks (Mask R-CNN, RAFT, Keypoint R-CNN,
 * CLIP) reach us only as ONNX files from tools/onnx-export; without them the model gets what runs
 * here: foreground regions and the built-in flow, and the pose/appearance attributes are dropped
 * (their features cannot be computed without their networks). Every substitution is recorded so
 * `inspect` can say what the model lacks compared with the user's anomalib model.
 */
export interface StagePlan {
  readonly stages: Record<StageName, StageInput>;
  /** Attributes whose network is present (velocity always is: built-in flow at worst). */
  readonly runnable: ReadonlySet<AttributeName>;
  /** `stage: what this model uses instead of anomalib's network`. */
  readonly substituted: string[];
  /** `stage: …` for networks the user supplied. */
  readonly supplied: string[];
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then(
    (s) => s.isFile(),
    () => false,
  );
}

/** `onnxDir` holds regions.onnx, flow.onnx, pose.onnx, appearance.onnx (any subset), as tools/onnx-export writes them. */
export async function planStages(onnxDir: string | undefined): Promise<StagePlan> {
  const found = {} as Record<StageName, string | undefined>;
  for (const stage of Object.keys(STAGE_FILES) as StageName[]) {
    const candidates = onnxDir ? [join(onnxDir, `${stage}.onnx`), join(onnxDir, STAGE_FILES[stage])] : [];
    found[stage] = undefined;
    for (const c of candidates) if (await isFile(c)) found[stage] ??= c;
  }
  const substituted: string[] = [];
  const supplied: string[] = [];
  const onnx = (stage: StageName): StageInput => {
    const file = found[stage];
    if (!file) return null;
    supplied.push(`${stage}: ${file}`);
    return { kind: 'onnx', model: file };
  };
  const regions = onnx('regions');
  if (!regions) substituted.push('regions: foreground detections only (anomalib used Mask R-CNN; export onnx/regions.onnx with tools/onnx-export)');
  let flow = onnx('flow');
  if (!flow) {
    flow = { kind: 'builtin', name: BUILTIN_FLOW_NAME, params: { ...DEFAULT_BUILTIN_FLOW_PARAMS } };
    substituted.push(
      `flow: built-in ${BUILTIN_FLOW_NAME} (anomalib used RAFT, whose vectors the velocity bank holds: velocity scores are approximate until onnx/flow.onnx is supplied)`,
    );
  }
  const pose = onnx('pose');
  const appearance = onnx('appearance');
  const runnable = new Set<AttributeName>(['velocity']);
  if (pose) runnable.add('pose');
  if (appearance) runnable.add('appearance');
  return { stages: { regions, flow, pose, appearance }, runnable, substituted, supplied };
}

/** The message for an attribute whose bank exists but whose network was not supplied. */
export function droppedForMissingNetwork(attribute: 'pose' | 'appearance'): string {
  const net = attribute === 'pose' ? 'Keypoint R-CNN (onnx/pose.onnx)' : 'CLIP ViT-B/16 (onnx/appearance.onnx)';
  return `${attribute}: bank not imported because its network ${net} was not supplied (export it with tools/onnx-export and pass --onnx <dir>)`;
}
