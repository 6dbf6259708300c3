import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { DeployStateSchema, VadError, type DeployConfig, type DeployState } from '@vad/contracts';

/**
 * The deploy state file (contracts' DeployStateSchema), one per target and endpoint name. Saved
 * after every step with write-then-rename, so a crash leaves either the old or the new state,
 * never half a file.
 */
export function defaultStateFile(config: DeployConfig, cwd = process.cwd()): string {
  return config.stateFile ?? resolve(cwd, '.vad-deploy', `${config.target}-${config.name}.json`);
}

/** Where packed archives are cached: next to the state file. */
export function artifactsDir(stateFile: string): string {
  return resolve(dirname(stateFile), 'artifacts');
}

export class StateStore {
  constructor(readonly path: string) {}

  async load(): Promise<DeployState | undefined> {
    let text: string;
    try {
      text = await readFile(this.path, 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new VadError('file_not_found', `cannot read the deploy state ${this.path}: ${(e as Error).message}`);
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      throw new VadError('config_invalid', `the deploy state ${this.path} is not JSON (${(e as Error).message}); move it away to start over`);
    }
    const parsed = DeployStateSchema.safeParse(json);
    if (!parsed.success) {
      const first = parsed.error.issues[0]!;
      throw new VadError('config_invalid', `the deploy state ${this.path} is invalid at ${first.path.join('.')}: ${first.message}; move it away to start over`);
    }
    return parsed.data;
  }

  async save(state: DeployState): Promise<void> {
    await mkdir(dirname(this.path), { recursive: true });
    const tmp = `${this.path}.tmp-${process.pid}`;
    await writeFile(tmp, JSON.stringify(DeployStateSchema.parse(state), null, 2) + '\n');
    await rename(tmp, this.path);
  }

  async remove(): Promise<void> {
    await rm(this.path, { force: true });
  }
}

export function emptyState(config: DeployConfig): DeployState {
  return {
    version: 1,
    target: config.target,
    endpointName: config.name,
    ...(config.target === 'aws' && config.aws.region ? { region: config.aws.region } : {}),
    superseded: [],
  };
}
