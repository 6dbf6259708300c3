import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ERRORS } from '@vad/contracts';
import { tinyModelSpec } from '@vad/core/testing';
import { writeModelDir } from '@vad/core';

const ROOT = resolve(__dirname, '../../../..');
let dir: string;
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vad-cli-'));
  await writeModelDir(tinyModelSpec(), join(dir, 'model'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['-r', './tools/ts-register.js', 'libs/artifacts/src/cli/main.ts', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe('artifacts CLI', () => {
  it('packs, verifies, inspects and unpacks a model', () => {
    const packed = cli('pack', '--from', join(dir, 'model'), '--out', join(dir, 'model.tar.gz'));
    expect(packed.stderr).toBe('');
    expect(packed.code).toBe(0);
    expect(packed.stdout).toMatch(/sha256 [0-9a-f]{64}/);
    expect(cli('verify', join(dir, 'model.tar.gz')).stdout).toMatch(/^ok: tiny-aivad/);
    const inspected = cli('inspect', join(dir, 'model'));
    expect(inspected.stdout).toMatch(/velocity\s+GMM K=2 B=2, bank 5 rows/);
    expect(inspected.stdout).toMatch(/pose\s+kNN bank 4×34, k=1/);
    expect(cli('unpack', join(dir, 'model.tar.gz'), join(dir, 'out')).code).toBe(0);
  });

  it('exits with the ERRORS code and one line on stderr for bad input', () => {
    const missing = cli('verify', join(dir, 'nope'));
    expect(missing.code).toBe(ERRORS.file_not_found.exit);
    expect(missing.stderr).toMatch(/^error\[file_not_found\]: .*nope.*\n$/);

    writeFileSync(join(dir, 'garbage.tar.gz'), 'not an archive');
    const garbage = cli('unpack', join(dir, 'garbage.tar.gz'), join(dir, 'g'));
    expect(garbage.code).toBe(ERRORS.unsafe_archive.exit);
    expect(garbage.stderr.split('\n').filter(Boolean)).toHaveLength(1);

    writeFileSync(join(dir, 'weights.bin'), 'x');
    const unknown = cli('pack', '--from', join(dir, 'weights.bin'), '--out', join(dir, 'x.tar.gz'));
    expect(unknown.code).toBe(ERRORS.unsupported_format.exit);
    expect(unknown.stderr).toMatch(/^error\[unsupported_format\]/);
  });
});
