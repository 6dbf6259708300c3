import { mkdir, mkdtemp, rename, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { VadError, type ModelSource } from '@vad/contracts';
import type { InspectReport, PackProgress } from '@vad/artifacts';

/**
 * The model archive (step `pack`): whatever the model source, end with one deterministic
 * model.tar.gz and its sha256 (the digest names the S3 key and the resources). Packing is
 * deterministic, so a resumed or repeated deploy gets the same bytes and digest again.
 * @vad/artifacts and @vad/core (which load onnxruntime-node and sharp) are imported here, when a
 * step needs them, so `--help`, `status` or `destroy` start without them.
 */
export interface ModelArtifact {
  readonly path: string;
  readonly sha256: string;
  readonly bytes: number;
  /** Where it came from, for the summary. */
  readonly from: string;
}

export async function resolveModelArtifact(source: ModelSource, cacheDir: string, onProgress?: (p: PackProgress) => void): Promise<ModelArtifact> {
  if (source.kind === 'tar') {
    const s = await stat(source.path).catch(() => undefined);
    if (!s?.isFile()) throw new VadError('file_not_found', `model archive ${source.path} does not exist`, { file: source.path });
    const { sha256File } = await import('@vad/core');
    return { path: source.path, sha256: await sha256File(source.path), bytes: s.size, from: source.path };
  }
  const { importAnomalibFiles, packModelDir } = await import('@vad/artifacts');
  await mkdir(cacheDir, { recursive: true });
  let scratch: string | undefined;
  const tmp = join(cacheDir, `.packing-${process.pid}.tar.gz`);
  // Whatever fails (a missing or refused input file, a pack error), nothing is left in the cache:
  // neither the import scratch folder nor a partial archive.
  try {
    let dir: string;
    let from: string;
    if (source.kind === 'anomalib') {
      scratch = await mkdtemp(join(cacheDir, 'import-'));
      dir = join(scratch, 'model');
      await importAnomalibFiles(source.files, dir);
      from = source.files.join(', ');
    } else {
      dir = source.kind === 'dir' ? source.path : (await import('@vad/core')).defaultModelDir();
      from = source.kind === 'dir' ? source.path : `the embedded default model (${dir})`;
    }
    const packed = await packModelDir(dir, tmp, { onProgress });
    const final = join(cacheDir, `model-${packed.sha256.slice(0, 16)}.tar.gz`);
    await rename(tmp, final);
    return { path: final, sha256: packed.sha256, bytes: packed.bytes, from };
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  } finally {
    if (scratch) await rm(scratch, { recursive: true, force: true });
  }
}

/**
 * Pre-flight on the archive SageMaker will extract into /opt/ml/model: a safe unpack (no links,
 * no `..`, expected layout at the root) and a full model verification (digests, config, stages).
 */
export async function preflightArchive(path: string): Promise<InspectReport> {
  const { inspectModel } = await import('@vad/artifacts');
  return inspectModel(path);
}
