import { stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sha256File, VadError, verifyModelDir, type ModelDirReport } from '@vad/core';
import { makeTempDir, removeTempDir, sweepStale } from './safety/temp-dirs';
import { unpackModel } from './unpack';

export interface InspectReport {
  readonly name: string;
  readonly formatVersion: number;
  readonly createdAt: string;
  readonly createdBy: string;
  readonly imageSize: readonly [number, number];
  readonly archive?: { readonly path: string; readonly sha256: string; readonly bytes: number };
  readonly stages: { readonly stage: string; readonly kind: string; readonly detail: string; readonly sha256?: string }[];
  readonly attributes: string[];
  readonly velocity?: { readonly components: number; readonly bins: number; readonly bankRows?: number; readonly norm: [number, number] };
  readonly knn: { readonly attribute: string; readonly rows: number; readonly dim: number; readonly k: number; readonly norm: [number, number] }[];
  readonly groups: string[];
  readonly config: Record<string, unknown>;
  readonly files: { readonly path: string; readonly sha256: string; readonly bytes: number }[];
  readonly source: { readonly kind: string; readonly details: Record<string, unknown> };
  readonly warnings: string[];
}

function norm(report: ModelDirReport, name: string): [number, number] {
  const t = report.densityFile.tensors.get(name);
  if (!t) return [NaN, NaN];
  const v = new Float32Array(new Uint8Array(t.bytes).buffer);
  return [v[0]!, v[1]!];
}

export function summarise(report: ModelDirReport, archive?: InspectReport['archive']): InspectReport {
  const m = report.manifest;
  const shape = (name: string) => report.density.tensors.find((t) => t.name === name)?.shape;
  const weights = shape('velocity.gmm.weights');
  const means = shape('velocity.gmm.means');
  const vbank = shape('velocity.bank');
  const knn: InspectReport['knn'] = [];
  for (const attribute of ['pose', 'appearance'] as const) {
    const bank = shape(`${attribute}.bank`);
    if (!bank) continue;
    const k = Number(report.density.metadata[attribute === 'pose' ? 'k_pose' : 'k_appearance'] ?? 1);
    knn.push({ attribute, rows: bank[0]!, dim: bank[1]!, k, norm: norm(report, `${attribute}.norm`) });
  }
  const model = report.config.model as Record<string, unknown>;
  return {
    name: m.name,
    formatVersion: m.formatVersion,
    createdAt: m.createdAt,
    createdBy: m.createdBy,
    imageSize: m.imageSize,
    ...(archive ? { archive } : {}),
    stages: Object.entries(m.stages).map(([stage, s]) =>
      s === null
        ? { stage, kind: 'none', detail: stage === 'regions' ? 'foreground detections only' : stage === 'flow' ? 'built-in default' : 'disabled' }
        : s.kind === 'onnx'
          ? { stage, kind: 'onnx', detail: s.file, sha256: s.sha256 }
          : { stage, kind: 'builtin', detail: `${s.name} ${JSON.stringify(s.params)}` },
    ),
    attributes: report.attributes,
    ...(weights && means
      ? { velocity: { components: weights[0]!, bins: means[1]!, ...(vbank ? { bankRows: vbank[0]! } : {}), norm: norm(report, 'velocity.norm') } }
      : {}),
    knn,
    groups: report.density.groups,
    config: {
      image_size: report.config.dataset.image_size,
      ...Object.fromEntries(Object.entries(model).filter(([, v]) => typeof v !== 'object')),
    },
    files: report.files,
    source: { kind: m.source.kind, details: m.source.details },
    warnings: report.warnings,
  };
}

/** A model dir or a model.tar.gz (unpacked into a temporary folder, then removed) as a report. */
export async function inspectModel(dirOrTarGz: string): Promise<InspectReport> {
  let isDir: boolean;
  try {
    isDir = (await stat(dirOrTarGz)).isDirectory();
  } catch {
    throw new VadError('file_not_found', `${dirOrTarGz} does not exist`, { file: dirOrTarGz });
  }
  if (isDir) return summarise(await verifyModelDir(dirOrTarGz));
  // Scratch in the temp dir, removed on every exit path (temp-dirs.ts); a killed run's is swept here.
  await sweepStale(tmpdir(), 'vad-inspect-');
  const tmp = await makeTempDir(tmpdir(), 'vad-inspect-');
  try {
    const report = await unpackModel(dirOrTarGz, join(tmp, 'model'));
    const bytes = (await stat(dirOrTarGz)).size;
    return summarise(report, { path: dirOrTarGz, sha256: await sha256File(dirOrTarGz), bytes });
  } finally {
    await removeTempDir(tmp);
  }
}

const fmt = (n: number) => (Number.isFinite(n) ? Number(n.toPrecision(6)).toString() : String(n));

/**
 * An imported model says, per tensor, what came from the user's files as is ("taken"), what was
 * computed here ("refitted") and what it lacks compared with the anomalib model ("missing"):
 * one line each, since that is what a user checks before trusting the scores.
 */
const SOURCE_LISTS = ['taken', 'refitted', 'missing', 'notes'] as const;

function renderSource(source: InspectReport['source']): string[] {
  const rest = Object.fromEntries(Object.entries(source.details).filter(([k]) => !(SOURCE_LISTS as readonly string[]).includes(k)));
  const lines = [`source: ${source.kind}${Object.keys(rest).length ? ` ${JSON.stringify(rest)}` : ''}`];
  for (const key of SOURCE_LISTS) {
    const list = source.details[key];
    if (!Array.isArray(list)) continue;
    if (list.length === 0) lines.push(`  ${key}: (none)`);
    for (const item of list) lines.push(`  ${key}: ${String(item)}`);
  }
  return lines;
}

export function renderInspectReport(r: InspectReport): string {
  const lines: string[] = [];
  lines.push(`model ${r.name} (format v${r.formatVersion}, ${r.createdBy}, ${r.createdAt})`);
  if (r.archive) lines.push(`archive ${r.archive.path}: ${r.archive.bytes} bytes, sha256 ${r.archive.sha256}`);
  lines.push(`image size ${r.imageSize[0]}×${r.imageSize[1]} (H×W)`);
  lines.push('stages:');
  for (const s of r.stages) lines.push(`  ${s.stage.padEnd(10)} ${s.kind.padEnd(7)} ${s.detail}${s.sha256 ? ` sha256 ${s.sha256.slice(0, 16)}…` : ''}`);
  lines.push(`attributes: ${r.attributes.join(', ') || '(none)'}`);
  if (r.velocity) {
    const v = r.velocity;
    lines.push(
      `  velocity   GMM K=${v.components} B=${v.bins}${v.bankRows !== undefined ? `, bank ${v.bankRows} rows` : ''}, norm [${fmt(v.norm[0])}, ${fmt(v.norm[1])}]`,
    );
  }
  for (const k of r.knn) lines.push(`  ${k.attribute.padEnd(10)} kNN bank ${k.rows}×${k.dim}, k=${k.k}, norm [${fmt(k.norm[0])}, ${fmt(k.norm[1])}]`);
  lines.push(`groups (${r.groups.length}): ${r.groups.slice(0, 8).join(', ')}${r.groups.length > 8 ? ', …' : ''}`);
  lines.push(
    'config: ' +
      Object.entries(r.config)
        .map(([k, v]) => `${k}=${JSON.stringify(v)}`)
        .join(' '),
  );
  lines.push('files:');
  for (const f of r.files) lines.push(`  ${f.path.padEnd(24)} ${String(f.bytes).padStart(12)}  ${f.sha256}`);
  lines.push(...renderSource(r.source));
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return lines.join('\n');
}
