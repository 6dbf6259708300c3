import { existsSync } from 'node:fs';
import { basename } from 'node:path';
import type { StageName } from '@vad/contracts';
import { VadError } from '../errors';
import { createOnnxSession, type ExecutionProvider, type OnnxSession } from './onnx-session';
import { STAGE_CONTRACTS, validateStage } from './stage-contract';

/**
 * Which execution provider each stage session really got, so the server can print one line at
 * start-up ("regions.onnx: cuda, flow.onnx: cpu (auto: CUDA unavailable …)").
 */
export interface StageSessionOptions {
  /** 'auto' tries CUDA and falls back to the CPU when the CUDA provider cannot be loaded. */
  executionProvider?: ExecutionProvider;
  /** Intra-op threads per session (default 1: the server runs one session set per worker). */
  threads?: number;
  /** onnxruntime's CPU memory arena; off by default (exporter-notes.md: 3.25 → 2.08 GB peak). */
  memArena?: boolean;
  /** When given, fixed H/W sizes in the model must equal it. */
  imageSize?: readonly [number, number];
}

export interface ProviderReport {
  readonly label: string;
  readonly requested: ExecutionProvider;
  readonly provider: 'cpu' | 'cuda';
  /** Why 'auto' ended on the CPU, when it tried CUDA and failed. */
  readonly fallback?: string;
}

/** One start-up line: "regions.onnx: cpu, pose.onnx: cuda". */
export function describeProviders(reports: readonly ProviderReport[]): string {
  if (reports.length === 0) return 'no ONNX stages';
  return reports.map((r) => `${r.label}: ${r.provider}${r.fallback ? ` (${r.requested}: ${r.fallback})` : ''}`).join(', ');
}

// onnxruntime-node lists 'cuda' among its backends even where the provider library was never
// installed (the CPU image); it only fails when a session appends the provider.
const PROVIDER_LOAD_FAILURE = /ExecutionProvider|providers_shared|providers_cuda|CUDA|cudnn|cublas/i;

function causeMessage(e: unknown): string {
  const cause = (e as { cause?: unknown }).cause;
  return cause instanceof Error ? cause.message : e instanceof Error ? e.message : String(e);
}

function firstLine(s: string): string {
  return s.split('\n')[0].trim();
}

// Once 'auto' found CUDA unusable, later stages skip the attempt (and onnxruntime's error log).
let autoFallback: string | undefined;

/**
 * Opens an ONNX session with the asked-for provider. 'cuda' that cannot be had is an
 * onnx_runtime error (the machine's fault, not the model's); 'auto' then falls back to the CPU.
 */
export async function openSession(
  model: string | Uint8Array,
  label: string,
  options: StageSessionOptions = {},
): Promise<{ session: OnnxSession; report: ProviderReport }> {
  if (typeof model === 'string' && !existsSync(model)) {
    throw new VadError('file_not_found', `${label}: no model file at ${model}`, { file: model });
  }
  const requested = options.executionProvider ?? 'cpu';
  const base = { threads: options.threads, memArena: options.memArena, label };
  if (requested === 'auto' && autoFallback !== undefined) {
    const session = await createOnnxSession(model, { ...base, executionProvider: 'cpu' });
    return { session, report: { label, requested, provider: 'cpu', fallback: autoFallback } };
  }
  try {
    const session = await createOnnxSession(model, { ...base, executionProvider: requested });
    return { session, report: { label, requested, provider: session.provider } };
  } catch (e) {
    const why = causeMessage(e);
    if (requested === 'cpu' || !PROVIDER_LOAD_FAILURE.test(why)) throw e;
    if (requested === 'cuda') {
      throw new VadError(
        'onnx_runtime',
        `${label}: the CUDA execution provider was asked for but could not be loaded (${firstLine(why)}); run on a GPU image with the CUDA provider installed, or use executionProvider 'cpu' or 'auto'`,
        { file: label },
        { cause: e },
      );
    }
    autoFallback = `CUDA unavailable: ${firstLine(why)}`;
    const session = await createOnnxSession(model, { ...base, executionProvider: 'cpu' });
    return { session, report: { label, requested, provider: 'cpu', fallback: autoFallback } };
  }
}

/** The name a stage's model goes by in messages: the file's name, or the contract's. */
export function stageLabel(stage: StageName, model: string | Uint8Array): string {
  return typeof model === 'string' ? basename(model) : basename(STAGE_CONTRACTS[stage].file);
}

/** Opens a stage's model and checks it against the stage contract; releases it if it does not comply. */
export async function openStageSession(
  stage: StageName,
  model: string | Uint8Array,
  options: StageSessionOptions = {},
): Promise<{ session: OnnxSession; report: ProviderReport }> {
  const opened = await openSession(model, stageLabel(stage, model), options);
  try {
    validateStage(opened.session, stage, { imageSize: options.imageSize });
  } catch (e) {
    await opened.session.release();
    throw e;
  }
  return opened;
}
