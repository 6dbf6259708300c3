import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { Command } from 'commander';
import { SingleBar } from 'cli-progress';
import { ERRORS } from '@vad/contracts';
import { asVadError, MANIFEST_FILE, VadError, verifyModelDir } from '@vad/core';
import { importAnomalibFiles } from '../importers/import-anomalib';
import { inspectModel, renderInspectReport } from '../inspect';
import { packModelDir } from '../pack';
import { unpackModel } from '../unpack';

/**
 * `artifacts pack|unpack|verify|inspect`: one readable line on stderr for bad input, exit codes
 * from the contracts' ERRORS table.
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

export function buildCli(): Command {
  const program = new Command('artifacts').description('vad-serve model artifacts: model dir ⇄ model.tar.gz').exitOverride();
  program
    .command('pack')
    .description('pack a model dir (or anomalib AI-VAD files, imported first) into a deterministic model.tar.gz')
    .requiredOption('--from <paths...>', 'a model dir, or anomalib files (model.ckpt | ai_vad_weights.pth ai_vad_banks.joblib ai_vad_config.yaml)')
    .requiredOption('--out <file>', 'the model.tar.gz to write')
    .option('--name <name>', 'model name when importing')
    .action(async (o: { from: string[]; out: string; name?: string }) => {
      let dir = o.from[0]!;
      if (!(o.from.length === 1 && (await isModelDir(dir)))) {
        dir = `${o.out}.model`;
        await importAnomalibFiles(o.from, dir, { name: o.name });
      }
      const r = await packModelDir(dir, o.out, { onProgress: progressBar() });
      for (const s of r.skipped) process.stderr.write(`note: ${s} is not part of the model and was left out\n`);
      process.stdout.write(`${r.path}\n  ${r.bytes} bytes  sha256 ${r.sha256}\n`);
    });
  program
    .command('unpack')
    .description('safely unpack a model.tar.gz into a folder and verify it')
    .argument('<tarGz>', 'model.tar.gz')
    .argument('<dir>', 'target folder (empty or absent)')
    .option('--overwrite', 'replace a non-empty target')
    .action(async (tarGz: string, dir: string, o: { overwrite?: boolean }) => {
      const r = await unpackModel(tarGz, dir, { overwrite: o.overwrite ?? false });
      process.stdout.write(`unpacked ${r.manifest.name} into ${r.dir} (${r.files.length} files verified)\n`);
    });
  program
    .command('verify')
    .description('verify a model dir or model.tar.gz: digests, config, stages, density tensors')
    .argument('<path>', 'model dir or model.tar.gz')
    .action(async (path: string) => {
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
    .argument('<path>', 'model dir or model.tar.gz')
    .option('--json', 'print the report as JSON')
    .action(async (path: string, o: { json?: boolean }) => {
      const r = await inspectModel(path);
      process.stdout.write((o.json ? JSON.stringify(r, null, 2) : renderInspectReport(r)) + '\n');
    });
  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return 0;
  } catch (e) {
    const code = (e as { code?: string }).code;
    if (typeof code === 'string' && code.startsWith('commander.')) {
      // commander already printed help or the usage error.
      return code === 'commander.helpDisplayed' || code === 'commander.version' ? 0 : ERRORS.bad_argument.exit;
    }
    const err = e instanceof VadError ? e : asVadError(e);
    process.stderr.write(`error[${err.code}]: ${err.message}\n`);
    return ERRORS[err.code].exit;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
