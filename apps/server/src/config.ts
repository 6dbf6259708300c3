import { availableParallelism } from 'node:os';
import { existsSync } from 'node:fs';
import { join } from 'node:path';

/** Everything the server reads from the environment, parsed once, with api.md's defaults. */
export interface ServerConfig {
  port: number;
  host: string;
  /** VAD_MODEL_DIR, else /opt/ml/model when it holds a manifest, else the embedded default. */
  modelDir: string | undefined;
  modelDirSource: 'VAD_MODEL_DIR' | '/opt/ml/model' | 'default';
  maxBodyBytes: number;
  maxFrames: number;
  maxPixels: number;
  workers: number;
  /** Requests waiting per worker before 429. */
  queuePerWorker: number;
  executionProvider: 'auto' | 'cuda' | 'cpu';
  /** Intra-op threads per ONNX session in each worker. */
  threadsPerWorker: number;
  /** Per-request deadline; SageMaker cuts real-time invocations at 60 s. */
  deadlineMs: number;
  /** SIGTERM drain budget; SageMaker sends SIGKILL 30 s after SIGTERM. */
  drainMs: number;
  sessions: { maxCount: number; ttlMs: number; maxBytes: number };
  s3: {
    allowedBuckets: string[] | undefined;
    endpoint: string | undefined;
    region: string;
    concurrency: number;
    maxObjectBytes: number;
    maxRequestBytes: number;
    maxInflightBytes: number;
    forcePathStyle: boolean | undefined;
  };
  /** Transport limits: slow or idle clients cannot hold sockets (SageMaker's 60 s is the outer bound). */
  http: { headersTimeoutMs: number; requestTimeoutMs: number; idleTimeoutMs: number; maxConnections: number };
  ffmpegPath: string;
  logLevel: string;
}

type Env = Record<string, string | undefined>;

function int(env: Env, name: string, dflt: number, min: number, max = Number.MAX_SAFE_INTEGER): number {
  const raw = env[name];
  if (raw === undefined || raw.trim() === '') return dflt;
  const v = Number(raw);
  if (!Number.isFinite(v) || v < min || v > max) {
    throw new Error(`${name}=${JSON.stringify(raw)} is not a number in [${min}, ${max}]`);
  }
  return v;
}

function bool(env: Env, name: string): boolean | undefined {
  const raw = env[name]?.trim().toLowerCase();
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'true' || raw === '1') return true;
  if (raw === 'false' || raw === '0') return false;
  throw new Error(`${name}=${JSON.stringify(env[name])} must be true or false`);
}

export const SAGEMAKER_MODEL_DIR = '/opt/ml/model';

/**
 * api.md: the model comes from /opt/ml/model (where SageMaker extracts ModelDataUrl), overridable
 * with VAD_MODEL_DIR; with neither, the embedded default model (resolved by the worker through
 * @vad/core's defaultModelDir(), so the main thread never loads vad-core's runtime).
 */
export function resolveModelDir(env: Env, sagemakerDir = SAGEMAKER_MODEL_DIR): Pick<ServerConfig, 'modelDir' | 'modelDirSource'> {
  if (env.VAD_MODEL_DIR && env.VAD_MODEL_DIR.trim() !== '') return { modelDir: env.VAD_MODEL_DIR, modelDirSource: 'VAD_MODEL_DIR' };
  if (existsSync(join(sagemakerDir, 'manifest.json'))) return { modelDir: sagemakerDir, modelDirSource: '/opt/ml/model' };
  return { modelDir: undefined, modelDirSource: 'default' };
}

function gpuCount(env: Env): number {
  const visible = env.CUDA_VISIBLE_DEVICES ?? env.NVIDIA_VISIBLE_DEVICES;
  if (visible && visible !== 'all' && visible !== 'none' && visible !== 'void') return visible.split(',').filter(Boolean).length;
  return 1;
}

export function loadConfig(env: Env = process.env): ServerConfig {
  const cores = availableParallelism();
  const provider = (env.VAD_EXECUTION_PROVIDER ?? 'auto').toLowerCase();
  if (provider !== 'auto' && provider !== 'cuda' && provider !== 'cpu') {
    throw new Error(`VAD_EXECUTION_PROVIDER=${JSON.stringify(env.VAD_EXECUTION_PROVIDER)} must be auto, cuda or cpu`);
  }
  // One model copy per GPU, not per vCPU: the toolkits' per-vCPU default runs GPUs out of memory
  // (sagemaker-notes §2.6). On CPU, leave one core to the HTTP thread.
  const defaultWorkers = provider === 'cuda' ? gpuCount(env) : Math.max(1, Math.min(4, cores - 1));
  const workers = int(env, 'VAD_WORKERS', defaultWorkers, 1, 64);
  const allowed = env.VAD_S3_ALLOWED_BUCKETS?.split(',')
    .map((b) => b.trim())
    .filter(Boolean);
  return {
    // SAGEMAKER_BIND_TO_PORT is set by inference pipelines and multi-container endpoints.
    port: int(env, 'SAGEMAKER_BIND_TO_PORT', int(env, 'PORT', 8080, 0, 65535), 0, 65535),
    host: env.VAD_HOST ?? '0.0.0.0',
    ...resolveModelDir(env),
    maxBodyBytes: Math.round(int(env, 'VAD_MAX_BODY_MB', 6, 0.001, 1024) * 1024 * 1024),
    maxFrames: int(env, 'VAD_MAX_FRAMES', 64, 1, 10000),
    maxPixels: int(env, 'VAD_MAX_PIXELS', 40_000_000, 1),
    workers,
    // SageMaker hands a container's 429 to the client as a ModelError (424) that the SDKs do not
    // retry, so ride out bursts in the queue. The count bounds memory (queued bodies are held);
    // the pool also refuses a request whose expected wait passes half the deadline, so a slow
    // model is not promised what it cannot deliver.
    queuePerWorker: int(env, 'VAD_QUEUE', 64, 0, 10000),
    executionProvider: provider,
    threadsPerWorker: int(env, 'VAD_THREADS_PER_WORKER', Math.max(1, Math.floor(cores / workers)), 1, 256),
    deadlineMs: int(env, 'VAD_DEADLINE_MS', 55_000, 1, 3_600_000),
    drainMs: int(env, 'VAD_DRAIN_MS', 25_000, 0, 3_600_000),
    sessions: {
      maxCount: int(env, 'VAD_SESSIONS_MAX', 1000, 1),
      ttlMs: int(env, 'VAD_SESSION_TTL_S', 1200, 1) * 1000,
      maxBytes: int(env, 'VAD_SESSIONS_MAX_MB', 256, 1) * 1024 * 1024,
    },
    s3: {
      allowedBuckets: allowed && allowed.length > 0 ? allowed : undefined,
      endpoint: env.VAD_S3_ENDPOINT || env.AWS_ENDPOINT_URL_S3 || undefined,
      region: env.AWS_REGION || env.AWS_DEFAULT_REGION || env.SAGEMAKER_REGION || 'us-east-1',
      concurrency: int(env, 'VAD_S3_CONCURRENCY', 8, 1, 256),
      maxObjectBytes: Math.round(int(env, 'VAD_S3_MAX_OBJECT_MB', 50, 0.001, 4096) * 1024 * 1024),
      maxRequestBytes: Math.round(int(env, 'VAD_S3_MAX_REQUEST_MB', 256, 0.001, 65536) * 1024 * 1024),
      maxInflightBytes: Math.round(int(env, 'VAD_S3_MAX_INFLIGHT_MB', 512, 0.001, 65536) * 1024 * 1024),
      forcePathStyle: bool(env, 'VAD_S3_FORCE_PATH_STYLE'),
    },
    http: {
      headersTimeoutMs: int(env, 'VAD_HEADERS_TIMEOUT_MS', 10_000, 1, 600_000),
      requestTimeoutMs: int(env, 'VAD_REQUEST_TIMEOUT_MS', 30_000, 1, 600_000),
      idleTimeoutMs: int(env, 'VAD_IDLE_TIMEOUT_MS', 60_000, 1, 3_600_000),
      maxConnections: int(env, 'VAD_MAX_CONNECTIONS', 1024, 1, 1_000_000),
    },
    ffmpegPath: env.VAD_FFMPEG_PATH || 'ffmpeg',
    logLevel: env.VAD_LOG_LEVEL || env.LOG_LEVEL || 'info',
  };
}
