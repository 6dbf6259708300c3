import { randomUUID } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, rename, writeFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { join } from 'node:path';
import { LocalTargetError } from '../errors';
import { FRONT_PORT_ENV, FRONT_ROUTE_ENV } from './front-proxy';
import { findWorkspaceRoot, INSTANCE_ID_ENV, startServerProcess, type ServerLaunch } from './processes';
import type { LocalFrontRecord } from './state';

/**
 * Starting and steering an endpoint's front proxy (front-proxy.ts): the stable port of its URL.
 * The route file lives in the endpoint's folder, beside its instances' folders.
 */

export function routeFile(endpointDir: string): string {
  return join(endpointDir, 'route.json');
}

/** Points the front at the instance on `port`: write then rename, so the proxy never reads half a file. */
export async function writeRoute(endpointDir: string, port: number): Promise<void> {
  await mkdir(endpointDir, { recursive: true });
  const file = routeFile(endpointDir);
  const tmp = `${file}.${process.pid}.tmp`;
  await writeFile(tmp, JSON.stringify({ port }));
  await rename(tmp, file);
}

/**
 * The compiled front-proxy.js beside this module when the lib is built; else the TypeScript
 * source in the workspace (found from here or the cwd, so a bundled caller works too) through the
 * repo's register hook.
 */
function frontLaunch(): ServerLaunch {
  const built = join(__dirname, 'front-proxy.js');
  if (existsSync(built)) return { command: process.execPath, args: [built], cwd: __dirname };
  const root = findWorkspaceRoot();
  if (!root) throw new LocalTargetError('cannot find the vad-serve workspace (nx.json + apps/server) to start the local front proxy from');
  return {
    command: process.execPath,
    args: ['-r', join(root, 'tools', 'ts-register.js'), join(root, 'libs', 'sagemaker-client', 'src', 'local', 'front-proxy.ts')],
    cwd: root,
  };
}

export async function startFront(endpointDir: string, port: number): Promise<LocalFrontRecord> {
  await mkdir(endpointDir, { recursive: true });
  const id = randomUUID();
  const logFile = join(endpointDir, 'front.log');
  const env: Record<string, string> = {
    ...(process.env as Record<string, string>),
    [INSTANCE_ID_ENV]: id,
    [FRONT_PORT_ENV]: String(port),
    [FRONT_ROUTE_ENV]: routeFile(endpointDir),
  };
  const { pid } = startServerProcess(frontLaunch(), env, logFile);
  return { id, pid, port, logFile, startedAt: new Date().toISOString() };
}

/** Whether something accepts connections on the loopback port. */
export function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = connect({ port, host: '127.0.0.1' });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
  });
}

export const endpointDirOf = (stateDir: string, endpointName: string): string => join(stateDir, 'endpoints', endpointName);
