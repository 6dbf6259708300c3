import { mkdir, open, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { createHash } from 'node:crypto';
import { basename, dirname, join, resolve } from 'node:path';
import { LocalTargetError } from '../errors';
import type { AsyncInferenceSpec, DataCaptureSpec, EndpointStatus, Tags } from '../target';
import type { Owned } from './owner';

/**
 * The local target's state: what SageMaker keeps server-side, kept in one JSON file so endpoints
 * outlive the command that created them. Writers take a lock file and replace the file atomically,
 * so two CLIs (or a CLI and a test) never interleave half-written states.
 */

export interface LocalModelRecord extends Owned {
  modelName: string;
  modelArn: string;
  image?: string;
  modelDataUrl: string;
  /** Absolute path of the archive or model directory behind modelDataUrl. */
  source: string;
  environment: Record<string, string>;
  tags: Tags;
  creationTime: string;
}

export interface LocalVariantRecord {
  variantName: string;
  modelName: string;
  instanceType: string;
  initialInstanceCount: number;
  initialVariantWeight: number;
  containerStartupHealthCheckTimeoutInSeconds?: number;
}

export interface LocalEndpointConfigRecord extends Owned {
  endpointConfigName: string;
  endpointConfigArn: string;
  variants: LocalVariantRecord[];
  asyncInference?: AsyncInferenceSpec;
  dataCapture?: DataCaptureSpec;
  tags: Tags;
  creationTime: string;
}

/** One server process ("instance") serving one endpoint config. */
export interface LocalInstanceRecord {
  /** Random id, also in the process's environment: a reused pid is not mistaken for ours. */
  id: string;
  pid: number;
  port: number;
  endpointConfigName: string;
  variantName: string;
  modelName: string;
  /** Where the archive was unpacked for this instance (removed when it stops). */
  workDir: string;
  modelDir: string;
  logFile: string;
  startedAt: string;
  /** Past this the instance counts as failed to start (ContainerStartupHealthCheckTimeoutInSeconds). */
  startDeadline: string;
}

/** The endpoint's front proxy: the stable port its URL names, across updates. */
export interface LocalFrontRecord {
  id: string;
  pid: number;
  port: number;
  logFile: string;
  startedAt?: string;
}

export interface LocalEndpointRecord extends Owned {
  endpointName: string;
  endpointArn: string;
  endpointConfigName: string;
  status: EndpointStatus;
  failureReason?: string;
  tags: Tags;
  creationTime: string;
  lastModifiedTime: string;
  /** The instance serving traffic (absent while Creating or after a failure). */
  current?: LocalInstanceRecord;
  /** The instance an update (or the creation) is bringing up. */
  pending?: LocalInstanceRecord;
  /** The front proxy its URL points at (absent in records written before fronts existed). */
  front?: LocalFrontRecord;
  /** The log of the instance whose failure set failureReason (kept for the log excerpt). */
  failedLog?: string;
}

export interface LocalState {
  version: 1;
  models: Record<string, LocalModelRecord>;
  endpointConfigs: Record<string, LocalEndpointConfigRecord>;
  endpoints: Record<string, LocalEndpointRecord>;
}

export function emptyState(): LocalState {
  return { version: 1, models: {}, endpointConfigs: {}, endpoints: {} };
}

/** `VAD_LOCAL_STATE_DIR`, else ~/.vad-serve/local. */
export function defaultStateDir(env: Record<string, string | undefined> = process.env): string {
  return env['VAD_LOCAL_STATE_DIR'] || join(homedir(), '.vad-serve', 'local');
}

/**
 * The default state dir of one workspace (the folder holding its deploy state files):
 * `VAD_LOCAL_STATE_DIR`, else ~/.vad-serve/local/<folder name>-<hash of its path>, so two
 * checkouts deploying the same endpoint name get two endpoints instead of replacing each other's.
 */
export function workspaceStateDir(workspace: string, env: Record<string, string | undefined> = process.env): string {
  if (env['VAD_LOCAL_STATE_DIR']) return env['VAD_LOCAL_STATE_DIR'];
  const abs = resolve(workspace);
  // `.vad-deploy` says nothing: name it after the checkout that holds it.
  const label = (basename(abs) === '.vad-deploy' ? basename(dirname(abs)) : basename(abs)).replace(/[^A-Za-z0-9._-]/g, '_') || 'root';
  const hash = createHash('sha256').update(abs).digest('hex').slice(0, 12);
  return join(defaultStateDir({}), `${label}-${hash}`);
}

const LOCK_STALE_MS = 30_000;

export class LocalStateStore {
  readonly dir: string;
  readonly file: string;
  private readonly lockFile: string;

  constructor(dir: string) {
    this.dir = dir;
    this.file = join(dir, 'local-endpoints.json');
    this.lockFile = join(dir, 'local-endpoints.lock');
  }

  async read(): Promise<LocalState> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return emptyState();
      throw new LocalTargetError(`cannot read ${this.file}: ${(e as Error).message}`, { cause: e });
    }
    try {
      const parsed = JSON.parse(text) as LocalState;
      if (parsed.version !== 1) throw new Error(`unknown version ${String(parsed.version)}`);
      return { ...emptyState(), ...parsed };
    } catch (e) {
      throw new LocalTargetError(`${this.file} is not a valid local-endpoint state file (${(e as Error).message}); move it away to start afresh`, { cause: e });
    }
  }

  /** Runs `fn` on the current state under the lock and writes what it leaves behind. */
  async update<T>(fn: (state: LocalState) => Promise<T> | T): Promise<T> {
    await mkdir(this.dir, { recursive: true });
    await this.lock();
    try {
      const state = await this.read();
      const result = await fn(state);
      const tmp = `${this.file}.${process.pid}.tmp`;
      await writeFile(tmp, JSON.stringify(state, null, 2) + '\n');
      await rename(tmp, this.file);
      return result;
    } finally {
      await rm(this.lockFile, { force: true });
    }
  }

  private async lock(): Promise<void> {
    const started = Date.now();
    for (;;) {
      try {
        const h = await open(this.lockFile, 'wx');
        await h.writeFile(String(process.pid));
        await h.close();
        return;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw new LocalTargetError(`cannot lock ${this.lockFile}: ${(e as Error).message}`, { cause: e });
      }
      // A holder that crashed leaves the lock behind; a lock older than any real update is stale.
      try {
        const s = await stat(this.lockFile);
        if (Date.now() - s.mtimeMs > LOCK_STALE_MS) await rm(this.lockFile, { force: true });
      } catch {
        // gone meanwhile: retry
      }
      if (Date.now() - started > 2 * LOCK_STALE_MS) throw new LocalTargetError(`timed out waiting for the lock ${this.lockFile}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }
}
