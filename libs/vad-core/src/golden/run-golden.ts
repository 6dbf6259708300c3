import { readdirSync, statSync } from 'node:fs';
import { basename, join, relative, sep } from 'node:path';
import { VadError } from '../errors';
import { type Comparison, type GoldenCase, loadGoldenCase } from './golden-case';
import { EVALUATORS } from './evaluators';

export interface CaseOutcome {
  file: string;
  kind: string;
  ok: boolean;
  comparisons: Comparison[];
  error?: string;
}

export async function evaluateGoldenCase(c: GoldenCase): Promise<CaseOutcome> {
  const evaluate = EVALUATORS[c.kind];
  if (!evaluate) {
    return {
      file: c.file,
      kind: c.kind,
      ok: false,
      comparisons: [],
      error: `no evaluator for kind "${c.kind}" (known: ${Object.keys(EVALUATORS).join(', ')})`,
    };
  }
  try {
    const comparisons = await evaluate(c);
    const ok = comparisons.length > 0 && comparisons.every((x) => x.ok);
    return { file: c.file, kind: c.kind, ok, comparisons, error: comparisons.length === 0 ? 'evaluator compared nothing' : undefined };
  } catch (e) {
    return { file: c.file, kind: c.kind, ok: false, comparisons: [], error: (e as Error).message };
  }
}

/**
 * Every `*.json` case file in `dir` and its sub-folders (a set may be split per kind), in path
 * order; hidden folders are skipped.
 */
export function listGoldenFiles(dir: string): string[] {
  let names: string[];
  try {
    if (!statSync(dir).isDirectory()) throw new Error('not a directory');
    names = readdirSync(dir, { recursive: true, encoding: 'utf8' });
  } catch (e) {
    throw new VadError('file_not_found', `golden directory ${dir}: ${(e as Error).message}`);
  }
  return names
    .filter((n) => n.endsWith('.json') && !n.split(sep).some((part) => part.startsWith('.')))
    .sort()
    .map((n) => join(dir, n));
}

export async function evaluateGoldenDir(dir: string): Promise<CaseOutcome[]> {
  const out: CaseOutcome[] = [];
  for (const file of listGoldenFiles(dir)) {
    let c: GoldenCase;
    try {
      c = loadGoldenCase(file);
    } catch (e) {
      out.push({ file, kind: '?', ok: false, comparisons: [], error: (e as Error).message });
      continue;
    }
    out.push(await evaluateGoldenCase(c));
  }
  return out;
}

/** One line per case: `PASS|FAIL <file> <kind> max|Δ|=… [what failed]`; the file relative to `root` when given. */
export function formatOutcome(o: CaseOutcome, root?: string): string {
  const worst = o.comparisons.reduce((m, c) => Math.max(m, c.maxAbsDiff), 0);
  const failed = o.comparisons.filter((c) => !c.ok).map((c) => `${c.name}: ${c.detail ?? 'mismatch'}`);
  const notes = o.comparisons.filter((c) => c.ok && c.note).map((c) => `${c.name}: ${c.note}`);
  const why = [...(o.error ? [o.error] : []), ...failed, ...notes];
  const name = root ? relative(root, o.file) : basename(o.file);
  return `${o.ok ? 'PASS' : 'FAIL'} ${name} ${o.kind} max|diff|=${worst.toExponential(2)} (${o.comparisons.length} compared)${why.length ? ' — ' + why.join('; ') : ''}`;
}
