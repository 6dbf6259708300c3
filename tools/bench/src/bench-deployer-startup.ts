import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * `nx run bench:deployer-startup`: wall time and number of loaded modules of the deployer CLI for
 * the commands that need no model (`--help`, `status`, `destroy` on an empty local state), and
 * whether onnxruntime-node or sharp were loaded. Runs each command `--runs` times (default 3)
 * and prints the median.
 */
const root = resolve(__dirname, '../../..');
const runsArg = process.argv.indexOf('--runs');
const runs = runsArg > 0 ? Number(process.argv[runsArg + 1]) : 3;
const scratch = mkdtempSync(join(tmpdir(), 'vad-bench-startup-'));

const commands: { label: string; args: string[] }[] = [
  { label: '--help', args: ['--help'] },
  { label: 'status', args: ['status', '--state-dir', join(scratch, 'local'), '--state-file', join(scratch, 'state.json')] },
  { label: 'destroy', args: ['destroy', '--state-dir', join(scratch, 'local'), '--state-file', join(scratch, 'state.json')] },
];

function once(args: string[]): { ms: number; modules: string[]; rc: number | null } {
  const log = join(scratch, 'modules.json');
  rmSync(log, { force: true });
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, ['-r', './tools/ts-register.js', '-r', './tools/record-modules.js', 'apps/deployer/src/main.ts', ...args], {
    cwd: root,
    env: { ...process.env, VAD_MODULE_LOG: log, HOME: scratch },
    encoding: 'utf8',
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  return { ms, modules: JSON.parse(readFileSync(log, 'utf8')) as string[], rc: r.status };
}

try {
  console.log(`deployer start-up (${runs} runs each, median)`);
  console.log('command    wall ms  modules  onnxruntime-node  sharp  exit');
  for (const c of commands) {
    const all = Array.from({ length: runs }, () => once(c.args));
    const ms = all.map((r) => r.ms).sort((a, b) => a - b)[Math.floor(runs / 2)]!;
    const last = all[all.length - 1]!;
    const has = (name: string) => (last.modules.some((m) => m.includes(`node_modules/${name}/`)) ? 'yes' : 'no');
    console.log(
      `${c.label.padEnd(9)} ${ms.toFixed(0).padStart(8)} ${String(last.modules.length).padStart(8)}  ${has('onnxruntime-node').padEnd(16)}  ${has('sharp').padEnd(5)}  ${last.rc}`,
    );
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
