import { spawn } from 'node:child_process';
import { existsSync, openSync, closeSync, readFileSync } from 'node:fs';
import { open, readFile, stat } from 'node:fs/promises';
import { createServer } from 'node:net';
import { dirname, join, resolve } from 'node:path';
import { LocalTargetError } from '../errors';

/**
 * Server processes ("instances" of a local endpoint): started detached on a free loopback port,
 * recorded by pid plus a random id in their environment, stopped like SageMaker stops a container
 * (SIGTERM, SIGKILL 30 s later).
 */

export const INSTANCE_ID_ENV = 'VAD_LOCAL_INSTANCE_ID';

/** How to start apps/server. */
export interface ServerLaunch {
  command: string;
  args: string[];
  cwd: string;
}

/** The workspace root: the nearest ancestor holding nx.json (from this file, or from cwd). */
export function findWorkspaceRoot(from: string = __dirname): string | undefined {
  for (const start of [from, process.cwd()]) {
    let dir = resolve(start);
    for (;;) {
      if (existsSync(join(dir, 'nx.json')) && existsSync(join(dir, 'apps', 'server'))) return dir;
      const up = dirname(dir);
      if (up === dir) break;
      dir = up;
    }
  }
  return undefined;
}

/**
 * `VAD_SERVER_MAIN` (a built main.js) wins; `mode: 'auto'` takes the esbuild bundle
 * dist/apps/server/main.js when it exists (starts in a fraction of the time), else the sources
 * through tools/ts-register.js.
 */
export function resolveServerLaunch(mode: 'auto' | 'bundle' | 'sources' = 'auto', workspaceRoot = findWorkspaceRoot(), env = process.env): ServerLaunch {
  const explicit = env['VAD_SERVER_MAIN'];
  if (explicit) return { command: process.execPath, args: [resolve(explicit), 'serve'], cwd: dirname(resolve(explicit)) };
  if (!workspaceRoot)
    throw new LocalTargetError(
      'cannot find the vad-serve workspace (nx.json + apps/server) to start the server from; set VAD_SERVER_MAIN to a built dist/apps/server/main.js',
    );
  const bundle = join(workspaceRoot, 'dist', 'apps', 'server', 'main.js');
  if (mode === 'bundle' || (mode === 'auto' && existsSync(bundle))) {
    if (!existsSync(bundle)) throw new LocalTargetError(`${bundle} does not exist; build it with: npx nx build server`);
    return { command: process.execPath, args: [bundle, 'serve'], cwd: workspaceRoot };
  }
  return {
    command: process.execPath,
    args: ['-r', join(workspaceRoot, 'tools', 'ts-register.js'), join(workspaceRoot, 'apps', 'server', 'src', 'main.ts'), 'serve'],
    cwd: workspaceRoot,
  };
}

/** A port the kernel just handed out on loopback (closed again before the server binds it). */
export function freeLoopbackPort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen({ port: 0, host: '127.0.0.1', exclusive: true }, () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

export interface StartedProcess {
  pid: number;
}

/** Starts the server detached (own process group, stdio into the log file) so it outlives us. */
export function startServerProcess(launch: ServerLaunch, env: Record<string, string>, logFile: string): StartedProcess {
  const fd = openSync(logFile, 'a');
  try {
    const child = spawn(launch.command, launch.args, {
      cwd: launch.cwd,
      env,
      detached: true,
      stdio: ['ignore', fd, fd],
    });
    if (child.pid === undefined) throw new LocalTargetError(`could not start ${launch.command} ${launch.args.join(' ')}`);
    // Without a listener a failed spawn ('error') would crash the caller; the pid check reports it.
    child.on('error', () => undefined);
    child.unref();
    return { pid: child.pid };
  } finally {
    closeSync(fd);
  }
}

/**
 * Whether `pid` runs and is not a zombie: a detached server killed by the process that spawned it
 * lingers as one until that parent reaps it, and must read as stopped.
 */
export function isProcessRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  if (process.platform !== 'linux') return true;
  // Z = a zombie awaiting its parent's wait(); X = dead.
  const state = processState(pid);
  return state !== undefined && state !== 'Z' && state !== 'X';
}

/** /proc/<pid>/stat from field 3 (state) on, after the parenthesised name; undefined when unknown. */
export function procStat(pid: number): string[] | undefined {
  try {
    const statText = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return statText.slice(statText.lastIndexOf(')') + 2).split(' ');
  } catch {
    return undefined;
  }
}

/** The kernel's one-letter state of `pid` (R, S, D, T = stopped, Z, …); undefined when unknown. */
export function processState(pid: number): string | undefined {
  return procStat(pid)?.[0];
}

/**
 * Whether `pid` is alive and is the instance we started (its environment carries our id). A pid
 * whose process died and was reused by something else reads as dead, so it is never signalled.
 */
export async function isOurProcess(pid: number, instanceId: string): Promise<boolean> {
  if (!isProcessRunning(pid)) return false;
  if (process.platform !== 'linux') return true;
  try {
    const environ = await readFile(`/proc/${pid}/environ`, 'latin1');
    return environ.split('\0').includes(`${INSTANCE_ID_ENV}=${instanceId}`);
  } catch {
    return false;
  }
}

export async function stopProcess(pid: number, instanceId: string, killAfterMs = 30_000): Promise<void> {
  if (!(await isOurProcess(pid, instanceId))) return;
  try {
    process.kill(pid, 'SIGTERM');
  } catch {
    return;
  }
  const started = Date.now();
  let killed = false;
  while (await isOurProcess(pid, instanceId)) {
    if (!killed && Date.now() - started > killAfterMs) {
      killed = true;
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // exited meanwhile
      }
    }
    if (Date.now() - started > killAfterMs + 10_000) throw new LocalTargetError(`process ${pid} survived SIGKILL`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The last `lines` lines of a log file (reads at most the last 256 KiB). */
export async function tailFile(path: string, lines = 40): Promise<string[]> {
  let size: number;
  try {
    size = (await stat(path)).size;
  } catch {
    return [];
  }
  const len = Math.min(size, 256 * 1024);
  const h = await open(path, 'r');
  try {
    const buf = Buffer.alloc(len);
    await h.read(buf, 0, len, size - len);
    const all = buf
      .toString('utf8')
      .split('\n')
      .filter((l) => l.trim() !== '');
    return all.slice(-lines);
  } finally {
    await h.close();
  }
}

/**
 * The most telling line of a server log for a FailureReason: the last pino entry at error level
 * or above, else the last "failed to start" line written to stderr.
 */
export function lastErrorLine(lines: string[]): string | undefined {
  for (let i = lines.length - 1; i >= 0; i--) {
    const line = lines[i]!;
    if (line.startsWith('{')) {
      try {
        const entry = JSON.parse(line) as { level?: number; msg?: string; err?: { message?: string } };
        if ((entry.level ?? 0) >= 50) return entry.msg ?? entry.err?.message ?? line;
      } catch {
        // not JSON after all
      }
    } else if (/fail|error|cannot|EADDRINUSE/i.test(line)) {
      return line.trim();
    }
  }
  return undefined;
}
