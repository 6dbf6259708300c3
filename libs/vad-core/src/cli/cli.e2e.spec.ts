import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { ERRORS } from '@vad/contracts';
import { parse as parseYaml } from 'yaml';
import { generateScene } from '../testing/synthetic-scene';
import { writeSceneFrames } from '../testing/write-frames';

/**
 * `vad-core fit` and `vad-core score` as users run them (README): real processes over folders of
 * PNG frames, JSON on stdout, one readable line and the ERRORS exit code on bad input.
 */
const ROOT = resolve(__dirname, '../../../..');
let dir: string;

function cli(...args: string[]) {
  const r = spawnSync(process.execPath, ['bin/vad-core', ...args], { cwd: ROOT, encoding: 'utf8' });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function expectOneLineError(r: ReturnType<typeof cli>, code: keyof typeof ERRORS): void {
  expect(r.code).toBe(ERRORS[code].exit);
  expect(r.stdout).toBe('');
  expect(r.stderr).toMatch(new RegExp(`^vad-core: ${code}: [^\\n]+\\n$`));
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'vad-core-cli-'));
  for (const seed of [1, 2]) await writeSceneFrames(generateScene({ seed, frames: 6, kind: 'train' }), join(dir, 'normal', `video-${seed}`));
  await writeSceneFrames(generateScene({ seed: 7, frames: 4, kind: 'test' }), join(dir, 'test'));
  // anomalib v1 layout on purpose, with values other than the defaults so ignoring it would show.
  writeFileSync(
    join(dir, 'v1.yaml'),
    'model:\n  class_path: anomalib.models.AiVad\n  init_args:\n    n_velocity_bins: 2\n    n_components_velocity: 2\ndata:\n  init_args:\n    image_size: [192, 288]\n',
  );
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('vad-core fit / score', () => {
  it('fits from folders of frames with the built-in stages, then scores a folder as JSON', () => {
    const fit = cli('fit', '--videos', join(dir, 'normal'), '--out', join(dir, 'model'), '--config', join(dir, 'v1.yaml'));
    expect(fit.code).toBe(0);
    // Pose and appearance need networks that were not given: off, and the user is told why.
    expect(fit.stderr).toMatch(/pose and appearance off \(no --pose\/--appearance network given/);
    const report = JSON.parse(fit.stdout);
    expect(report).toMatchObject({ clips: 10, attributes: ['velocity'] });
    expect(report.rows.velocity).toBeGreaterThan(0);
    const config = parseYaml(readFileSync(join(dir, 'model', 'config.yaml'), 'utf8'));
    expect(config.dataset.image_size).toEqual([192, 288]);
    expect(config.model).toMatchObject({ n_velocity_bins: 2, n_components_velocity: 2, use_pose_features: false, use_deep_features: false });

    const out = join(dir, 'scores.json');
    const score = cli('score', '--frames', join(dir, 'test'), '--model', join(dir, 'model'), '--out', out);
    expect(score.stderr).toBe('');
    expect(score.code).toBe(0);
    const result = JSON.parse(score.stdout);
    expect(JSON.parse(readFileSync(out, 'utf8'))).toEqual(result);
    expect(result.imageSize).toEqual([192, 288]);
    expect(result.results.map((r: { frame: number; file: string }) => [r.frame, r.file])).toEqual(
      readdirSync(join(dir, 'test'))
        .filter((f) => f.endsWith('.png'))
        .sort()
        .slice(1)
        .map((f, i) => [i + 1, f]),
    );
    for (const r of result.results) {
      expect(Number.isFinite(r.score)).toBe(true);
      for (const g of r.regions) expect(Object.keys(g.attributes)).toEqual(['velocity']);
    }
  });

  it("without --config: the built-in regions and the built-in stages' density defaults, said in the output, with a threshold and warnings", () => {
    const fit = cli('fit', '--videos', join(dir, 'normal'), '--out', join(dir, 'model-defaults'));
    expect(fit.code).toBe(0);
    const report = JSON.parse(fit.stdout);
    expect(report.settings).toMatchObject({
      regions: { builtin: 'motion-components-v1' },
      flow: 'builtin',
      n_velocity_bins: 1,
      n_components_velocity: 2,
      defaultsApplied: { n_velocity_bins: 1, n_components_velocity: 2 },
    });
    // Two 6-frame videos are far too few regions to trust: fit says so on stderr and in the JSON.
    expect(report.warnings.join('\n')).toMatch(/velocity: only \d+ training regions/);
    expect(fit.stderr).toMatch(/vad-core fit: warning: velocity: only \d+ training regions/);
    const manifest = JSON.parse(readFileSync(join(dir, 'model-defaults', 'manifest.json'), 'utf8'));
    expect(manifest.stages.regions).toMatchObject({ kind: 'builtin', name: 'motion-components-v1', params: { closeRadius: expect.any(Number) } });
    expect(manifest.threshold).toEqual(report.threshold);
    expect(report.threshold).toMatchObject({ quantile: 0.99, frames: 10, from: 'training-frames' });
    expect(Number.isFinite(report.threshold.value)).toBe(true);
  });

  it('refuses to overwrite an existing model directory unless told to', () => {
    const target = join(dir, 'existing');
    mkdirSync(target);
    writeFileSync(join(target, 'keep.txt'), 'mine');
    expectOneLineError(cli('fit', '--video', join(dir, 'normal', 'video-1'), '--out', target, '--config', join(dir, 'v1.yaml')), 'bad_argument');
    expect(readFileSync(join(target, 'keep.txt'), 'utf8')).toBe('mine');
  });

  it('bad input: one line and the documented exit code', () => {
    expectOneLineError(cli('fit', '--videos', join(dir, 'nope'), '--out', join(dir, 'm1')), 'file_not_found');
    writeFileSync(join(dir, 'pose-on.yaml'), 'model:\n  use_pose_features: true\n');
    const poseOn = cli('fit', '--videos', join(dir, 'normal'), '--out', join(dir, 'm2'), '--config', join(dir, 'pose-on.yaml'));
    expectOneLineError(poseOn, 'config_invalid');
    expect(poseOn.stderr).toContain('--pose pose.onnx');
    writeFileSync(join(dir, 'padim.yaml'), 'model:\n  class_path: anomalib.models.Padim\n');
    expectOneLineError(cli('fit', '--videos', join(dir, 'normal'), '--out', join(dir, 'm3'), '--config', join(dir, 'padim.yaml')), 'unsupported_format');

    mkdirSync(join(dir, 'one'));
    writeFileSync(join(dir, 'one', 'a.png'), readFileSync(join(dir, 'test', readdirSync(join(dir, 'test')).filter((f) => f.endsWith('.png'))[0]!)));
    expectOneLineError(cli('score', '--frames', join(dir, 'one')), 'needs_clip');
    writeFileSync(join(dir, 'one', 'b.png'), 'not an image');
    expectOneLineError(cli('score', '--frames', join(dir, 'one')), 'bad_image');
  });

  it('a usage error exits with bad_argument and --help with 0, through bin/vad-core', () => {
    const bad = cli('score', '--no-such-flag');
    expect(bad.code).toBe(ERRORS.bad_argument.exit);
    expect(bad.stderr).toMatch(/^error: /m);
    const help = cli('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/fit/);
  });
});
