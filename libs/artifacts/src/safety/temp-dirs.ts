import { rmSync } from 'node:fs';
import { mkdir, readdir, rm } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';

/**
 * Staging and scratch folders (unpack staging, inspect's and the importer's scratch) that must not
 * outlive a failure: removed in `finally` on every ordinary path, on SIGINT/SIGTERM by a handler
 * that removes what is still registered and then re-raises the signal (so the process still dies
 * of it, with the usual exit status), and, for a process killed harder (SIGKILL, power loss), by
 * the next run's `sweepStale`, which removes folders whose owning pid is gone. Folder names carry
 * the pid for that reason: `<prefix><pid>-<random>`.
 */
const live = new Set<string>();
const SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
let installed = false;

function onSignal(signal: NodeJS.Signals): void {
  for (const dir of live) rmSync(dir, { recursive: true, force: true });
  live.clear();
  // Another listener (a server draining its requests) owns the exit; alone, die of the signal.
  if (process.listenerCount(signal) > 1) return;
  for (const s of SIGNALS) process.removeListener(s, onSignal);
  installed = false;
  process.kill(process.pid, signal);
}

function install(): void {
  if (installed) return;
  installed = true;
  for (const s of SIGNALS) process.on(s, onSignal);
}

/** Creates `<parent>/<prefix><pid>-<random>` and registers it for removal on a signal. */
export async function makeTempDir(parent: string, prefix: string): Promise<string> {
  await mkdir(parent, { recursive: true });
  const dir = join(parent, `${prefix}${process.pid}-${randomBytes(4).toString('hex')}`);
  await mkdir(dir);
  live.add(dir);
  install();
  return dir;
}

/** Removes a folder made by makeTempDir (no error when it is gone) and forgets it. */
export async function removeTempDir(dir: string): Promise<void> {
  await rm(dir, { recursive: true, force: true });
  forgetTempDir(dir);
}

/** The folder was renamed into place (it is no longer scratch). */
export function forgetTempDir(dir: string): void {
  live.delete(dir);
  if (live.size === 0 && installed) {
    for (const s of SIGNALS) process.removeListener(s, onSignal);
    installed = false;
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: alive, someone else's.
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Removes `<parent>/<prefix><pid>-*` folders whose process is gone; returns what it removed. */
export async function sweepStale(parent: string, prefix: string): Promise<string[]> {
  const names = await readdir(parent).catch(() => [] as string[]);
  const removed: string[] = [];
  for (const name of names) {
    if (!name.startsWith(prefix)) continue;
    const pid = Number(/^(\d+)-/.exec(name.slice(prefix.length))?.[1]);
    const path = join(parent, name);
    if (!Number.isInteger(pid) || pid <= 0 || live.has(path)) continue;
    // Our own pid on a folder we did not make: a previous container run that was pid 1 too.
    if (pid !== process.pid && pidAlive(pid)) continue;
    await rm(path, { recursive: true, force: true });
    removed.push(path);
  }
  return removed;
}
