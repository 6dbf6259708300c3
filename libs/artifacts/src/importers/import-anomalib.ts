import { basename } from 'node:path';
import { stat } from 'node:fs/promises';
import { VadError, type ModelDirReport } from '@vad/core';

export interface ImportOptions {
  readonly name?: string;
}

/** Which anomalib layout a set of files is: the tutorial's seed files, or a Lightning checkpoint. */
export function detectAnomalibLayout(paths: readonly string[]): 'anomalib-seed-files' | 'anomalib-ckpt' | undefined {
  const names = paths.map((p) => basename(p));
  if (names.some((n) => n.endsWith('.joblib')) && names.some((n) => n.endsWith('.pth'))) return 'anomalib-seed-files';
  if (names.length >= 1 && names.some((n) => n.endsWith('.ckpt'))) return 'anomalib-ckpt';
  return undefined;
}

/**
 * anomalib files → a model dir. The readers exist (torch-zip.ts, joblib.ts, unpickler.ts); the
 * mapping of the tutorial banks and of Lightning checkpoint buffers onto density.safetensors is
 * not written yet, so both layouts are refused with a message rather than half-imported.
 */
export async function importAnomalibFiles(paths: readonly string[], _dir: string, _options: ImportOptions = {}): Promise<ModelDirReport> {
  for (const p of paths) {
    await stat(p).catch(() => {
      throw new VadError('file_not_found', `${p} does not exist`, { file: p });
    });
  }
  const layout = detectAnomalibLayout(paths);
  if (!layout) {
    throw new VadError('unsupported_format', `${paths.join(', ')}: not a model dir (no manifest.json) and not anomalib AI-VAD files (model.ckpt, or ai_vad_weights.pth + ai_vad_banks.joblib + ai_vad_config.yaml)`);
  }
  throw new VadError('unsupported_format', `importing ${layout} is not implemented yet in this build; build the model dir with writeModelDir or the fit command`);
}
