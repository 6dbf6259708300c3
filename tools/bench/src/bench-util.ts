import { createServer } from 'node:net';
import { join } from 'node:path';

/** What the server benches share: autocannon's typed surface, CLI flags, ports, percentiles. */

// autocannon ships no types; this is the part the benches use.
export interface AutocannonResult {
  requests: { average: number; total: number };
  latency: { p50: number; p99: number; average: number };
  non2xx: number;
  '2xx': number;
  errors: number;
  timeouts: number;
  duration: number;
}
type Instance = Promise<AutocannonResult> & { on(event: 'response', cb: (client: unknown, status: number, bytes: number, ms: number) => void): void };
export const autocannon = require('autocannon') as (opts: Record<string, unknown>) => Instance;

export const REPO = join(__dirname, '../../..');

/** `--name <number>` from the command line, else `dflt`. */
export const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? Number(process.argv[i + 1]) : dflt;
};

export async function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const p = (s.address() as { port: number }).port;
      s.close(() => resolve(p));
    });
  });
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
}
