import { stat } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { runCli, VadError } from '@vad/contracts';
import { MANIFEST_FILE, verifyModelDir } from '@vad/core';
import { importAnomalibFiles, type ImportOptions } from '../importers/import-anomalib';
import { inspectModel, renderInspectReport } from '../inspect';
import { packModelDir } from '../pack';
import { makeTempDir, removeTempDir, sweepStale } from '../safety/temp-dirs';
import { unpackModel } from '../unpack';

/**
 * `artifacts pack|import|unpack|verify|inspect`: one argument shape for every verb (`--from` what
 * it reads, `--out` what it writes), one readable line on stderr for bad input, exit codes from the
 * contracts' ERRORS table.
 */
async function isModelDir(path: string): Promise<boolean> {
  return stat(join(path, MANIFEST_FILE)).then(
    (s) => s.isFile(),
    () => false,
  );
}

function progressBar(): ((p: { done: number; total: number }) => void) | undefined {
  if (!process.stderr.isTTY) return undefined;
  const bar = new SingleBar({ stream: process.stderr, format: 'packing [{bar}] {percentage}% {value}/{total} bytes', hideCursor: true });
  let started = false;
  return ({ done, total }) => {
    if (!started) {
      bar.start(total, 0);
      started = true;
    }
    bar.update(done);
    if (done >= total) bar.stop();
  };
}

function parseImageSize(text: string | undefined): [number, number] | undefined {
  if (text === undefined) return undefined;
  const m = /^(\d+)x(\d+)$/.exec(text);
  if (!m || Number(m[1]) === 0 || Number(m[2]) === 0) throw new VadError('bad_argument', `--image-size ${text}: expected HxW, e.g. 240x360`);
  return [Number(m[1]), Number(m[2])];
}

function importOptions(o: { onnx?: string; name?: string; imageSize?: string }): ImportOptions {
  const imageSize = parseImageSize(o.imageSize);
  const steps = process.stderr.isTTY ? (step: string) => process.stderr.write(`${step}…\n`) : undefined;
  return {
    ...(o.onnx ? { onnxDir: o.onnx } : {}),
    ...(o.name ? { name: o.name } : {}),
    ...(imageSize ? { imageSize } : {}),
    ...(steps ? { onStep: steps } : {}),
  };
}

/** What an imported model lacks is worth a line each: its scores differ from anomalib's because of it. */
function printImportNotes(details: Record<string, unknown>): void {
  for (const key of ['missing', 'notes']) {
    const list = details[key];
    if (Array.isArray(list)) for (const item of list) process.stderr.write(`note: ${String(item)}\n`);
  }
}

export function buildCli(): Command {
  const program = new Command('artifacts').description('vad-serve model artifacts: model dir ⇄ model.tar.gz').exitOverride();
  program
    .command('pack')
    .description('pack a model dir (or anomalib AI-VAD files, imported first) into a deterministic model.tar.gz')
    .requiredOption(
      '--from <paths...>',
      'a model dir, or anomalib files/folder (model.ckpt [config.yaml] | ai_vad_banks.joblib ai_vad_config.yaml [ai_vad_weights.pth])',
    )
    .requiredOption('--out <file>', 'the model.tar.gz to write')
    .option('--onnx <dir>', "tools/onnx-export's output folder (regions/flow/pose/appearance .onnx) when importing")
    .option('--name <name>', 'model name when importing')
    .option('--image-size <HxW>', 'working size when importing a checkpoint without its config.yaml')
    .action(async (o: { from: string[]; out: string; onnx?: string; name?: string; imageSize?: string }) => {
      let dir = o.from[0]!;
      let tmp: string | undefined;
      try {
        if (!(o.from.length === 1 && (await isModelDir(dir)))) {
          const parent = dirname(resolve(o.out));
          await sweepStale(parent, '.vad-import-');
          tmp = await makeTempDir(parent, '.vad-import-');
          dir = join(tmp, 'model');
          const report = await importAnomalibFiles(o.from, dir, importOptions(o));
          printImportNotes(report.manifest.source.details);
        }
        const r = await packModelDir(dir, o.out, { onProgress: progressBar() });
        for (const s of r.skipped) process.stderr.write(`note: ${s} is not part of the model and was left out\n`);
        process.stdout.write(`${r.path}\n  ${r.bytes} bytes  sha256 ${r.sha256}\n`);
      } finally {
        if (tmp) await removeTempDir(tmp);
      }
    });
  program
    .command('import')
    .description('import anomalib AI-VAD files into a model dir (no archive)')
    .requiredOption('--from <paths...>', 'anomalib files or a folder holding them')
    .requiredOption('--out <dir>', 'the model dir to write')
    .option('--onnx <dir>', "tools/onnx-export's output folder (regions/flow/pose/appearance .onnx)")
    .option('--name <name>', 'model name')
    .option('--image-size <HxW>', 'working size for a checkpoint without its config.yaml')
    .option('--overwrite', 'replace an existing model dir')
    .action(async (o: { from: string[]; out: string; onnx?: string; name?: string; imageSize?: string; overwrite?: boolean }) => {
      const report = await importAnomalibFiles(o.from, o.out, { ...importOptions(o), overwrite: o.overwrite ?? false });
      printImportNotes(report.manifest.source.details);
      process.stdout.write(`imported ${report.manifest.source.kind} into ${report.dir} (attributes ${report.attributes.join(', ')})\n`);
    });
  program
    .command('unpack')
    .description('safely unpack a model.tar.gz into a folder and verify it')
    .requiredOption('--from <model.tar.gz>', 'the archive to unpack')
    .requiredOption('--out <dir>', 'target folder (empty or absent)')
    .option('--overwrite', 'replace a non-empty target')
    .action(async (o: { from: string; out: string; overwrite?: boolean }) => {
      const r = await unpackModel(o.from, o.out, { overwrite: o.overwrite ?? false });
      process.stdout.write(`unpacked ${r.manifest.name} into ${r.dir} (${r.files.length} files verified)\n`);
    });
  program
    .command('verify')
    .description('verify a model dir or model.tar.gz: digests, config, stages, density tensors')
    .requiredOption('--from <path>', 'model dir or model.tar.gz')
    .action(async ({ from: path }: { from: string }) => {
      const s = await stat(path).catch(() => undefined);
      if (s?.isDirectory()) {
        const r = await verifyModelDir(path);
        for (const w of r.warnings) process.stderr.write(`warning: ${w}\n`);
        process.stdout.write(`ok: ${r.manifest.name} (${r.files.length} files, attributes ${r.attributes.join(', ')})\n`);
      } else {
        const r = await inspectModel(path);
        process.stdout.write(`ok: ${r.name} (${r.files.length} files, attributes ${r.attributes.join(', ')})\n`);
      }
    });
  program
    .command('inspect')
    .description('describe a model dir or model.tar.gz')
    .requiredOption('--from <path>', 'model dir or model.tar.gz')
    .option('--json', 'print the report as JSON')
    .action(async (o: { from: string; json?: boolean }) => {
      const r = await inspectModel(o.from);
      process.stdout.write((o.json ? JSON.stringify(r, null, 2) : renderInspectReport(r)) + '\n');
    });
  return program;
}

export function main(argv: string[]): Promise<number> {
  return runCli(() => buildCli().parseAsync(argv));
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
