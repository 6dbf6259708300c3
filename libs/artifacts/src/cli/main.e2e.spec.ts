import { spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ERRORS } from '@vad/contracts';
import { tinyModelSpec } from '@vad/core/testing';
import { writeModelDir } from '@vad/core';
import { buildCli } from './main';
import { makePythonFixtures, type PythonFixtures } from '../importers/python-fixtures';

const ROOT = resolve(__dirname, '../../../..');
let dir: string;
let fx: PythonFixtures;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vad-cli-'));
  await writeModelDir(tinyModelSpec(), join(dir, 'model'));
  fx = makePythonFixtures();
});
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  fx.remove();
});

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/vad-artifacts', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('artifacts CLI', () => {
  it('packs, verifies, inspects and unpacks a model', () => {
    const packed = cli('pack', '--from', join(dir, 'model'), '--out', join(dir, 'model.tar.gz'));
    expect(packed.stderr).toBe('');
    expect(packed.code).toBe(0);
    expect(packed.stdout).toMatch(/sha256 [0-9a-f]{64}/);
    expect(cli('verify', '--from', join(dir, 'model.tar.gz')).stdout).toMatch(/^ok: tiny-aivad/);
    const inspected = cli('inspect', '--from', join(dir, 'model'));
    expect(inspected.stdout).toMatch(/velocity\s+GMM K=2 B=2, bank 5 rows/);
    expect(inspected.stdout).toMatch(/pose\s+kNN bank 4×34, k=1/);
    expect(cli('unpack', '--from', join(dir, 'model.tar.gz'), '--out', join(dir, 'out')).code).toBe(0);
  });

  it('exits with the ERRORS code and one line on stderr for bad input', () => {
    const missing = cli('verify', '--from', join(dir, 'nope'));
    expect(missing.code).toBe(ERRORS.file_not_found.exit);
    expect(missing.stderr).toMatch(/^error\[file_not_found\]: .*nope.*\n$/);

    writeFileSync(join(dir, 'garbage.tar.gz'), 'not an archive');
    const garbage = cli('unpack', '--from', join(dir, 'garbage.tar.gz'), '--out', join(dir, 'g'));
    expect(garbage.code).toBe(ERRORS.unsafe_archive.exit);
    expect(garbage.stderr.split('\n').filter(Boolean)).toHaveLength(1);

    writeFileSync(join(dir, 'weights.bin'), 'x');
    const unknown = cli('pack', '--from', join(dir, 'weights.bin'), '--out', join(dir, 'x.tar.gz'));
    expect(unknown.code).toBe(ERRORS.unsupported_format.exit);
    expect(unknown.stderr).toMatch(/^error\[unsupported_format\]/);
  });

  it('imports and packs the tutorial files, and says what the model lacks', () => {
    const out = join(dir, 'tutorial.tar.gz');
    const packed = cli('pack', '--from', join(fx.dir, 'tutorial'), '--out', out, '--name', 'ped2');
    expect(packed.code).toBe(0);
    expect(packed.stderr).toMatch(/^note: pose: bank not imported/m);
    expect(packed.stdout).toMatch(/sha256 [0-9a-f]{64}/);
    const inspected = cli('inspect', '--from', out);
    expect(inspected.code).toBe(0);
    expect(inspected.stdout).toMatch(/^source: anomalib-seed-files/m);
    expect(inspected.stdout).toMatch(/^ {2}refitted: velocity: GMM/m);
    expect(inspected.stdout).toMatch(/^ {2}missing: flow: built-in/m);
    expect(readdirSync(dir).filter((n) => n.startsWith('.vad-import-'))).toEqual([]);
  });

  it('refuses a pickle global, a damaged model and a bad flag with one line and the ERRORS exit code', () => {
    const evil = cli(
      'pack',
      '--from',
      join(fx.dir, 'tutorial', 'evil_banks.joblib'),
      join(fx.dir, 'tutorial', 'ai_vad_config.yaml'),
      '--out',
      join(dir, 'e.tar.gz'),
    );
    expect(evil.code).toBe(ERRORS.pickle_refused.exit);
    expect(evil.stderr).toMatch(/^error\[pickle_refused\]: pickle global posix\.system \(os\.system\) is not allowed[^\n]*\n$/);

    cpSync(join(dir, 'model'), join(dir, 'damaged'), { recursive: true });
    writeFileSync(join(dir, 'damaged', 'config.yaml'), 'dataset: {}\n');
    const damaged = cli('verify', '--from', join(dir, 'damaged'));
    expect(damaged.code).toBe(ERRORS.digest_mismatch.exit);
    expect(damaged.stderr).toMatch(/^error\[digest_mismatch\]: config\.yaml[^\n]*\n$/);

    const flag = cli('pack', '--from', join(fx.dir, 'ckpt', 'v2.ckpt'), '--image-size', '240', '--out', join(dir, 'f.tar.gz'));
    expect(flag.code).toBe(ERRORS.bad_argument.exit);
    expect(flag.stderr).toMatch(/^error\[bad_argument\]: --image-size 240/);
  });
});

describe('one argument shape for every verb', () => {
  it('every verb reads --from, and the ones that write take --out', () => {
    const verbs = Object.fromEntries(buildCli().commands.map((c) => [c.name(), c.options.map((o) => o.long)]));
    expect(Object.keys(verbs).sort()).toEqual(['import', 'inspect', 'pack', 'unpack', 'verify']);
    for (const [verb, flags] of Object.entries(verbs)) {
      expect(flags).toContain('--from');
      if (['pack', 'import', 'unpack'].includes(verb)) expect(flags).toContain('--out');
    }
  });

  it('the old positional shape is a usage error naming the problem, not a half-run', () => {
    const old = cli('unpack', join(dir, 'model.tar.gz'), join(dir, 'old-shape'));
    expect(old.code).toBe(ERRORS.bad_argument.exit);
    expect(old.stderr).toMatch(/error: /);
    expect(readdirSync(dir)).not.toContain('old-shape');
  });

  it("the READMEs' artifacts commands use only flags the verbs have", () => {
    const verbs = new Map(buildCli().commands.map((c) => [c.name(), new Set(c.options.map((o) => o.long))]));
    const lines = ['README.md', 'libs/artifacts/README.md'].flatMap((f) => readFileSync(join(ROOT, f), 'utf8').split('\n'));
    const uses = lines.flatMap((l) => [...l.matchAll(/(?:artifacts:|bin\/vad-artifacts )(\w+)(?: --)?((?: +(?:--[\w-]+|\[--[\w-]+)[^\n`#]*)?)/g)]);
    expect(uses.length).toBeGreaterThanOrEqual(8);
    for (const [, verb, rest] of uses) {
      expect(verbs.has(verb!)).toBe(true);
      for (const flag of rest!.match(/--[\w-]+/g) ?? []) expect([verb, flag, verbs.get(verb!)!.has(flag)]).toEqual([verb, flag, true]);
    }
  });
});
