import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Test helper: real torch.save / joblib / pickle files written by Debian's PyTorch from
 * tools/fixtures/make_fixtures.py into a temporary folder (never committed), with what Python says
 * they hold in expected.json.
 */
export const FIXTURE_PYTHON = '/usr/bin/python3';
export const FIXTURE_SCRIPT = resolve(__dirname, '../../../../tools/fixtures/make_fixtures.py');

export interface PythonFixtures {
  readonly dir: string;
  /** expected.json: whatever Python wrote, read loosely by the specs. */
  readonly expected: any;
  remove(): void;
}

/**
 * VAD_FIXTURES_DIR: a folder make_fixtures.py already wrote, e.g. with another torch/numpy than
 * Debian's (the files users bring come from whatever PyTorch trained them); it is left in place.
 */
export function makePythonFixtures(): PythonFixtures {
  const given = process.env['VAD_FIXTURES_DIR'];
  if (given) return { dir: given, expected: JSON.parse(readFileSync(join(given, 'expected.json'), 'utf8')), remove: () => undefined };
  const dir = mkdtempSync(join(tmpdir(), 'vad-fixtures-'));
  try {
    execFileSync(FIXTURE_PYTHON, [FIXTURE_SCRIPT, dir], { stdio: 'pipe' });
  } catch (e) {
    rmSync(dir, { recursive: true, force: true });
    throw new Error(
      `tools/fixtures/make_fixtures.py failed; these tests need Debian's Python packages: ` +
        `apt-get install -y python3-torch python3-joblib python3-numpy python3-sklearn python3-yaml\n${String((e as { stderr?: Buffer }).stderr ?? e)}`,
    );
  }
  return {
    dir,
    expected: JSON.parse(readFileSync(join(dir, 'expected.json'), 'utf8')),
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}
