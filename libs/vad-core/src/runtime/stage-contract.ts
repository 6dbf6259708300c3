import { STAGE_FILES, type StageName } from '@vad/contracts';
import { VadError } from '../errors';
import type { Float32Tensor } from '../tensor';
import type { IoSpec, OnnxSession } from './onnx-session';

/**
 * The four ONNX stage contracts of model-format.md as data: what a stage runner feeds and reads.
 * Checked once when a model is loaded, so a wrongly exported graph fails at start-up with a message
 * that names the tensor, not at the first request with an onnxruntime error.
 */
export interface TensorContract {
  readonly name: string;
  /** Accepted element types, the contract's own first. */
  readonly types: readonly string[];
  /** Fixed sizes as numbers, dynamic axes by name (H and W are the working image size). */
  readonly dims: readonly (number | string)[];
  /** Outputs only: a model may leave it out. */
  readonly optional?: boolean;
}

export interface StageContract {
  readonly stage: StageName;
  /** Where the model directory keeps it; used in messages. */
  readonly file: string;
  readonly inputs: readonly TensorContract[];
  readonly outputs: readonly TensorContract[];
}

const f32 = ['float32'];

export const STAGE_CONTRACTS: Readonly<Record<StageName, StageContract>> = {
  regions: {
    stage: 'regions',
    file: STAGE_FILES.regions,
    inputs: [{ name: 'image', types: f32, dims: [3, 'H', 'W'] }],
    outputs: [
      { name: 'boxes', types: f32, dims: ['N', 4] },
      // torchvision exports int64; int32 costs nothing to accept.
      { name: 'labels', types: ['int64', 'int32'], dims: ['N'] },
      { name: 'scores', types: f32, dims: ['N'] },
      // anomalib never reads Mask R-CNN masks; never requested, so a graph without the head is fine.
      { name: 'masks', types: f32, dims: ['N', 1, 'H', 'W'], optional: true },
    ],
  },
  flow: {
    stage: 'flow',
    file: STAGE_FILES.flow,
    inputs: [
      { name: 'frame1', types: f32, dims: [1, 3, 'H', 'W'] },
      { name: 'frame2', types: f32, dims: [1, 3, 'H', 'W'] },
    ],
    outputs: [{ name: 'flow', types: f32, dims: [1, 2, 'H', 'W'] }],
  },
  pose: {
    stage: 'pose',
    file: STAGE_FILES.pose,
    inputs: [
      { name: 'image', types: f32, dims: [3, 'H', 'W'] },
      { name: 'boxes', types: f32, dims: ['M', 4] },
    ],
    outputs: [{ name: 'keypoints', types: f32, dims: ['M', 17, 3] }],
  },
  appearance: {
    stage: 'appearance',
    file: STAGE_FILES.appearance,
    inputs: [
      { name: 'image', types: f32, dims: [1, 3, 'H', 'W'] },
      { name: 'boxes', types: f32, dims: ['M', 4] },
    ],
    outputs: [{ name: 'features', types: f32, dims: ['M', 'D'] }],
  },
};

/** "image [3,H,W] float32" */
export function describeTensor(t: TensorContract): string {
  return `${t.name} [${t.dims.join(',')}] ${t.types.join(' or ')}`;
}

function describeFound(io: readonly IoSpec[]): string {
  return io.length === 0
    ? '(none)'
    : io.map((s) => (s.shape && s.shape.length > 0 ? `${s.name} [${s.shape.join(',')}] ${s.type}` : `${s.name} ${s.type}`)).join(', ');
}

export interface ValidateOptions {
  /** [H, W] the model will be fed; when given, fixed H/W sizes in the model must equal it. */
  imageSize?: readonly [number, number];
}

type SessionIo = Pick<OnnxSession, 'label' | 'inputs' | 'outputs'>;

/**
 * Throws VadError('onnx_contract') unless the session's inputs and outputs honour the stage's
 * contract: every input present with an accepted element type and rank, no input the runner
 * cannot feed, every required output present, fixed sizes as the contract says.
 */
export function validateStage(session: SessionIo, stage: StageName, options: ValidateOptions = {}): void {
  const contract = STAGE_CONTRACTS[stage];
  const fail = (message: string, tensor: string, expected?: TensorContract): never => {
    throw new VadError('onnx_contract', `${session.label}: ${message}`, {
      stage,
      file: session.label,
      tensor,
      ...(expected ? { expected: describeTensor(expected) } : {}),
      inputs: session.inputs.map((s) => s.name),
      outputs: session.outputs.map((s) => s.name),
    });
  };

  for (const want of contract.inputs) {
    const got = session.inputs.find((s) => s.name === want.name);
    if (!got) {
      fail(`input '${want.name}' is missing; the contract wants ${describeTensor(want)}; found inputs: ${describeFound(session.inputs)}`, want.name, want);
    } else {
      checkTensor('input', got, want, options, (m) => fail(m, want.name, want));
    }
  }
  for (const got of session.inputs) {
    if (!contract.inputs.some((c) => c.name === got.name)) {
      const fed = contract.inputs.map(describeTensor).join(', ');
      fail(`input '${got.name}' is not part of the ${stage} contract, so nothing would feed it; the contract's inputs are ${fed}`, got.name);
    }
  }
  for (const want of contract.outputs) {
    const got = session.outputs.find((s) => s.name === want.name);
    if (!got) {
      if (want.optional) continue;
      fail(`output '${want.name}' is missing; the contract wants ${describeTensor(want)}; found outputs: ${describeFound(session.outputs)}`, want.name, want);
    } else {
      checkTensor('output', got, want, options, (m) => fail(m, want.name, want));
    }
  }
}

function checkTensor(kind: 'input' | 'output', got: IoSpec, want: TensorContract, options: ValidateOptions, fail: (m: string) => never): void {
  const wants = `the contract wants ${describeTensor(want)}`;
  if (!want.types.includes(got.type)) fail(`${kind} '${got.name}' has element type ${got.type}; ${wants}`);
  // onnxruntime reports [] when a graph declares no shape: rank unknown, checked when it runs.
  const shape = got.shape;
  if (!shape || shape.length === 0) return;
  if (shape.length !== want.dims.length) fail(`${kind} '${got.name}' has rank ${shape.length} ([${shape.join(',')}]); ${wants}`);
  want.dims.forEach((d, i) => {
    const g = shape[i];
    if (typeof g !== 'number' || g < 0) return;
    if (typeof d === 'number' && g !== d) fail(`${kind} '${got.name}' has size ${g} on axis ${i} ([${shape.join(',')}]); ${wants}`);
    const size = d === 'H' ? options.imageSize?.[0] : d === 'W' ? options.imageSize?.[1] : undefined;
    if (size !== undefined && g !== size) {
      fail(
        `${kind} '${got.name}' is fixed at ${d} = ${g}, but the model's imageSize has ${d} = ${size}; export it with a dynamic ${d} axis or at the working size`,
      );
    }
  });
}

// --- checks of what a runner is given: a caller's mistake, not the model's ---

/** Returns [H, W] of a float32 [3,H,W] image or throws bad_argument. */
export function imageSizeOf(image: Float32Tensor, what: string): [number, number] {
  const s = image.shape;
  if (image.dtype !== 'float32' || s.length !== 3 || s[0] !== 3) {
    throw new VadError('bad_argument', `${what}: expected a float32 RGB image [3,H,W], got ${image.dtype} [${s.join(',')}]`);
  }
  return [s[1], s[2]];
}

/** Returns M of float32 boxes [M,4] or throws bad_argument. */
export function boxCountOf(boxes: Float32Tensor, what: string): number {
  const s = boxes.shape;
  if (boxes.dtype !== 'float32' || s.length !== 2 || s[1] !== 4) {
    throw new VadError('bad_argument', `${what}: expected float32 boxes [M,4] xyxy, got ${boxes.dtype} [${s.join(',')}]`);
  }
  return s[0];
}

/** Throws onnx_contract when a model's output does not have the shape the contract promises. */
export function expectOutputShape(label: string, name: string, got: readonly number[], want: readonly number[], why: string): void {
  if (got.length !== want.length || got.some((d, i) => want[i] >= 0 && d !== want[i])) {
    throw new VadError(
      'onnx_contract',
      `${label}: output '${name}' came back [${got.join(',')}], expected [${want.map((d) => (d < 0 ? '?' : d)).join(',')}] (${why})`,
      {
        file: label,
        tensor: name,
        shape: [...got],
      },
    );
  }
}
