import { SingleBar } from 'cli-progress';
import type { DeployStepId } from '@vad/contracts';
import type { WaitProgress } from '@vad/sagemaker-client';

/**
 * Progress of a deploy on stderr (stdout keeps the results: scores, summary, plan): one line per
 * step with its duration, a byte bar for packing and uploading, and the endpoint's status with
 * the elapsed time while waiting. Bars only on a terminal; plain lines otherwise (CI logs).
 */
export interface StepReport {
  /** A byte-count bar (pack, upload, push). */
  bytes(done: number, total: number): void;
  /** A free-text status line (waiting, docker output). */
  note(text: string): void;
  done(detail?: string): void;
  skip(reason: string): void;
  fail(error: unknown): void;
}

export interface Reporter {
  step(id: DeployStepId | string, title: string): StepReport;
  info(text: string): void;
}

export const silentReporter: Reporter = {
  step: () => ({ bytes() {}, note() {}, done() {}, skip() {}, fail() {} }),
  info() {},
};

/** Records step events, for tests. */
export function recordingReporter(): Reporter & { events: string[] } {
  const events: string[] = [];
  return {
    events,
    info: (t) => events.push(`info ${t}`),
    step: (id) => ({
      bytes() {},
      note: (t) => events.push(`${id} note ${t}`),
      done: () => events.push(`${id} done`),
      skip: (r) => events.push(`${id} skip ${r}`),
      fail: (e) => events.push(`${id} fail ${e instanceof Error ? e.message.split('\n')[0] : String(e)}`),
    }),
  };
}

function seconds(ms: number): string {
  return ms < 10_000 ? `${(ms / 1000).toFixed(1)} s` : `${Math.round(ms / 1000)} s`;
}

export function describeWait(p: WaitProgress): string {
  const variants = p.variants
    .map((v) => {
      const st = v.variantStatus.map((s) => s.status + (s.statusMessage ? ` (${s.statusMessage})` : '')).join(', ');
      return `${v.variantName}${v.currentInstanceCount !== undefined ? ` ${v.currentInstanceCount}/${v.desiredInstanceCount ?? '?'} instances` : ''}${st ? ` ${st}` : ''}`;
    })
    .join('; ');
  return `${p.status} after ${Math.round(p.elapsedSeconds)} s${variants ? ` — ${variants}` : ''}`;
}

export function consoleReporter(stream: NodeJS.WriteStream = process.stderr): Reporter {
  const tty = !!stream.isTTY;
  return {
    info: (text) => stream.write(`${text}\n`),
    step(id, title) {
      const t0 = Date.now();
      let bar: SingleBar | undefined;
      let lastNote = '';
      stream.write(`▸ ${id.padEnd(22)} ${title}\n`);
      const stopBar = () => {
        bar?.stop();
        bar = undefined;
      };
      return {
        bytes(done, total) {
          if (!tty) return;
          if (!bar) {
            bar = new SingleBar({ stream, format: `  [{bar}] {percentage}% {value}/{total} bytes`, hideCursor: true, clearOnComplete: true });
            bar.start(total, 0);
          }
          bar.update(done);
        },
        note(text) {
          if (text === lastNote) return;
          lastNote = text;
          stream.write(`  ${text}\n`);
        },
        done(detail) {
          stopBar();
          stream.write(`  ✓ ${seconds(Date.now() - t0)}${detail ? `  ${detail}` : ''}\n`);
        },
        skip(reason) {
          stopBar();
          stream.write(`  – skipped: ${reason}\n`);
        },
        fail(error) {
          stopBar();
          stream.write(`  ✗ ${seconds(Date.now() - t0)}  ${error instanceof Error ? error.message.split('\n')[0] : String(error)}\n`);
        },
      };
    },
  };
}
