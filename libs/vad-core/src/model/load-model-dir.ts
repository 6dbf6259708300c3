import type { AiVadConfig, AttributeName, Manifest } from '@vad/contracts';
import type { DensityState } from '../density/density-state';
import { densityFromTensors } from './density-io';
import { verifyModelDir } from './verify-model-dir';

/** A model directory read, verified (every digest, every consistency rule) and decoded. */
export interface ModelFiles {
  readonly dir: string;
  readonly manifest: Manifest;
  readonly config: AiVadConfig;
  readonly attributes: AttributeName[];
  readonly density: DensityState;
  /** sha256 of manifest.json: it names every file's digest, so it identifies the whole model. */
  readonly sha256: string;
  readonly warnings: string[];
}

export async function loadModelFiles(dir: string): Promise<ModelFiles> {
  const report = await verifyModelDir(dir);
  return {
    dir,
    manifest: report.manifest,
    config: report.config,
    attributes: report.attributes,
    density: densityFromTensors(report.densityFile),
    sha256: report.manifestSha256,
    warnings: report.warnings,
  };
}
