/**
 * Where an anomalib config keeps AI-VAD's settings. v0.7 writes `model:` and `dataset:` flat;
 * v1/v2 CLI configs nest them as `model.init_args` (beside `class_path`) and `data.init_args`.
 * Reading only the flat layout would silently fit or score a v1 user's model with anomalib's
 * defaults (wrong image size, wrong attributes), so every reader goes through this one function.
 */
export interface AnomalibConfigSections {
  /** The dataset settings (`dataset:`, `data:` or their `init_args`). */
  readonly dataset: Record<string, unknown>;
  /** The model's settings (`model:` or `model.init_args`). */
  readonly model: Record<string, unknown>;
  /** `model.class_path` when the config names one (v1/v2), e.g. `anomalib.models.AiVad`. */
  readonly classPath?: string;
  /** Top-level sections AI-VAD does not read (trainer, metrics, logging, …). */
  readonly otherSections: string[];
}

/** A YAML mapping (not a list, scalar or null). */
export function isConfigRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

export function anomalibConfigSections(doc: Record<string, unknown>): AnomalibConfigSections {
  const modelSection = isConfigRecord(doc['model']) ? doc['model'] : {};
  const model = isConfigRecord(modelSection['init_args']) ? modelSection['init_args'] : modelSection;
  const dataSection = isConfigRecord(doc['dataset']) ? doc['dataset'] : isConfigRecord(doc['data']) ? doc['data'] : {};
  const dataset = isConfigRecord(dataSection['init_args']) ? dataSection['init_args'] : dataSection;
  const classPath = typeof modelSection['class_path'] === 'string' ? modelSection['class_path'] : undefined;
  return {
    dataset,
    model,
    ...(classPath !== undefined ? { classPath } : {}),
    otherSections: Object.keys(doc).filter((k) => k !== 'model' && k !== 'dataset' && k !== 'data'),
  };
}

/** True when a v1/v2 `class_path` names anomalib's AiVad (or the config names no class). */
export function isAiVadClassPath(classPath: string | undefined): boolean {
  return classPath === undefined || /(^|\.)AiVad$/.test(classPath);
}
