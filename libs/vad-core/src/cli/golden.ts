#!/usr/bin/env node
import { Command } from 'commander';
import { evaluateGoldenDir, formatOutcome } from '../golden/run-golden';

/** `nx run vad-core:golden -- --dir <folder>`: one line per case, non-zero exit on any mismatch. */
async function main(): Promise<void> {
  const program = new Command('vad-golden')
    .description('Evaluate every golden case file in a directory against vad-core')
    .requiredOption('--dir <folder>', 'directory of golden case files (*.json, sub-folders included)')
    .parse();
  const { dir } = program.opts<{ dir: string }>();
  const outcomes = await evaluateGoldenDir(dir);
  for (const o of outcomes) console.log(formatOutcome(o, dir));
  const failed = outcomes.filter((o) => !o.ok).length;
  console.log(`${outcomes.length - failed} passed, ${failed} failed`);
  if (outcomes.length === 0) {
    console.error(`no golden case files (*.json) in ${dir}`);
    process.exitCode = 1;
  } else if (failed > 0) process.exitCode = 1;
}

main().catch((e: Error & { code?: string }) => {
  console.error(`vad-golden: ${e.code ? e.code + ': ' : ''}${e.message}`);
  process.exitCode = 2;
});
