import { mkdir, open, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { LocalTargetError, ResourceInUseError } from '../errors';
import { isProcessRunning, procStat } from './processes';

/**
 * One deploy at a time per local endpoint, across processes: an exclusive lock file
 * (`locks/<endpoint>.lock`, created with O_EXCL) naming the holder's pid and its start time. The
 * first call of a deploy that names the endpoint (its model's and config's `vad-serve:endpoint`
 * tag, or the endpoint itself) takes it; a second process is refused before it creates anything,
 * so the loser of two concurrent deploys leaves no model or config behind. The lock goes when the
 * holder's wait ends or the endpoint is deleted, and is stale — taken over — once its holder has
 * exited (or its pid was reused by another process) or after MAX_HOLD_MS.
 */

interface LockRecord {
  pid: number;
  /** /proc start time of the holder (clock ticks since boot): tells a reused pid apart. */
  startTicks: string | undefined;
  takenAt: string;
}

const MAX_HOLD_MS = 60 * 60 * 1000;

// Field 22 of /proc/<pid>/stat, the 20th after the name.
const startTicks = (pid: number): string | undefined => procStat(pid)?.[19];

function holderAlive(rec: LockRecord): boolean {
  if (!isProcessRunning(rec.pid)) return false;
  if (rec.startTicks !== undefined && startTicks(rec.pid) !== rec.startTicks) return false;
  return Date.now() - Date.parse(rec.takenAt) < MAX_HOLD_MS;
}

export class EndpointLocks {
  private readonly dir: string;
  private readonly mine = new Set<string>();

  constructor(stateDir: string) {
    this.dir = join(stateDir, 'locks');
  }

  private file(endpointName: string): string {
    return join(this.dir, `${endpointName}.lock`);
  }

  /** Takes (or re-enters) the endpoint's lock; ResourceInUseError while another live process holds it. */
  async acquire(endpointName: string): Promise<void> {
    if (this.mine.has(endpointName)) return;
    await mkdir(this.dir, { recursive: true });
    const file = this.file(endpointName);
    const rec: LockRecord = { pid: process.pid, startTicks: startTicks(process.pid), takenAt: new Date().toISOString() };
    for (let attempt = 0; attempt < 3; attempt++) {
      try {
        const h = await open(file, 'wx');
        await h.writeFile(JSON.stringify(rec));
        await h.close();
        this.mine.add(endpointName);
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new LocalTargetError(`cannot lock ${file}: ${(e as Error).message}`, { cause: e });
      }
      const holder = await readFile(file, 'utf8').then(
        (t) => JSON.parse(t) as LockRecord,
        () => undefined,
      );
      // Unreadable: a holder between open and write; look again.
      if (holder === undefined) {
        await new Promise((r) => setTimeout(r, 20));
        continue;
      }
      if (holder.pid === process.pid && holder.startTicks === rec.startTicks) {
        this.mine.add(endpointName);
        return;
      }
      if (holderAlive(holder)) {
        throw new ResourceInUseError(
          `local endpoint ${endpointName} is being deployed by another process (pid ${holder.pid}, since ${holder.takenAt}); wait for it to finish, or stop it (its lock ${file} goes with it)`,
        );
      }
      await rm(file, { force: true }); // stale: its holder is gone
    }
    throw new LocalTargetError(`could not take the lock ${file}`);
  }

  /** Gives the lock back if this process holds it. */
  async release(endpointName: string): Promise<void> {
    if (!this.mine.delete(endpointName)) return;
    await rm(this.file(endpointName), { force: true });
  }
}

/** The endpoint a model or config was created for, from the deployer's tags. */
export const ENDPOINT_TAG = 'vad-serve:endpoint';
