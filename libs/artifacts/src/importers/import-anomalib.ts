import { readdir, stat } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { VadError, type ModelDirReport } from '@vad/core';
import { importCheckpoint } from './import-ckpt';
import type { ImportOptions } from './import-options';
import { importTutorialFiles } from './import-tutorial';

export type { ImportOptions } from './import-options';

/**
 * anomalib files, as a user has them, → a model dir: the tutorial's seed files
 * (ai_vad_weights.pth, ai_vad_banks.joblib, ai_vad_config.yaml) or a Lightning checkpoint
 * (model.ckpt, optionally with its config.yaml). A folder stands for the files in it.
 */
export type AnomalibLayout =
  | { readonly kind: 'anomalib-seed-files'; readonly banks: string; readonly config: string; readonly weights?: string }
  | { readonly kind: 'anomalib-ckpt'; readonly ckpt: string; readonly config?: string };

async function expand(paths: readonly string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const s = await stat(p).catch(() => undefined);
    if (!s) throw new VadError('file_not_found', `${p} does not exist`, { file: p });
    if (s.isDirectory()) out.push(...(await readdir(p)).sort().map((n) => join(p, n)));
    else out.push(p);
  }
  return out;
}

/** Which anomalib layout the files form; undefined when they are not anomalib AI-VAD files. */
export function detectAnomalibLayout(paths: readonly string[]): AnomalibLayout | undefined {
  const byExt = (...exts: string[]) => paths.filter((p) => exts.some((e) => basename(p).endsWith(e)));
  const one = (list: string[], prefer: string, what: string): string | undefined => {
    if (list.length <= 1) return list[0];
    const preferred = list.filter((p) => basename(p) === prefer);
    if (preferred.length === 1) return preferred[0];
    throw new VadError('bad_argument', `more than one ${what} given (${list.map((p) => basename(p)).join(', ')}); name the files explicitly`);
  };
  const yaml = byExt('.yaml', '.yml');
  const banks = one(byExt('.joblib'), 'ai_vad_banks.joblib', 'banks file');
  if (banks) {
    const config = one(yaml, 'ai_vad_config.yaml', 'config');
    if (!config) throw new VadError('file_not_found', `${basename(banks)} needs the anomalib config it was trained with (ai_vad_config.yaml)`, { file: banks });
    const weights = one(byExt('.pth', '.pt'), 'ai_vad_weights.pth', 'weights file');
    return { kind: 'anomalib-seed-files', banks, config, ...(weights ? { weights } : {}) };
  }
  const ckpt = one(byExt('.ckpt'), 'model.ckpt', 'checkpoint');
  if (ckpt) {
    const config = one(yaml, 'config.yaml', 'config');
    return { kind: 'anomalib-ckpt', ckpt, ...(config ? { config } : {}) };
  }
  return undefined;
}

export async function importAnomalibFiles(paths: readonly string[], dir: string, options: ImportOptions = {}): Promise<ModelDirReport> {
  const files = await expand(paths);
  const layout = detectAnomalibLayout(files);
  if (!layout) {
    throw new VadError(
      'unsupported_format',
      `${paths.join(', ')}: not a model dir (no manifest.json) and not anomalib AI-VAD files (model.ckpt [+ config.yaml], or ai_vad_banks.joblib + ai_vad_config.yaml [+ ai_vad_weights.pth])`,
    );
  }
  return layout.kind === 'anomalib-seed-files' ? importTutorialFiles(layout, dir, options) : importCheckpoint(layout, dir, options);
}
