import { existsSync, readFileSync } from 'node:fs';
import { createServer, request, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import { dirname } from 'node:path';

/**
 * A local endpoint's front: the one loopback port its URL names for its whole life, as a
 * SageMaker endpoint keeps its name across updates. It forwards each request to the instance
 * named in the endpoint's route file (`{"port": n}`), which the supervisor replaces atomically
 * (write, rename) when an update's new instance answers /ping, before the old one is stopped. The
 * file is read per request, so a request goes to the old instance until that moment and to the new
 * one after it. A request that reached no instance (refused or reset before any answer: the old
 * one was just stopping) is sent again once the route has moved, so a switch fails no request.
 *
 * Runs as its own detached process (started by the supervisor, stopped by DeleteEndpoint), and
 * exits on its own once its endpoint's folder is gone. Bodies are buffered (a resend needs them);
 * what is bigger than MAX_BODY_BYTES is refused here — far above the server's own 6 MB limit.
 */

export const FRONT_PORT_ENV = 'VAD_LOCAL_FRONT_PORT';
export const FRONT_ROUTE_ENV = 'VAD_LOCAL_FRONT_ROUTE';

const MAX_BODY_BYTES = 64 * 1024 * 1024;
/** How long a request may wait for the route to move off an instance that refuses it. */
const SWITCH_WAIT_MS = 5_000;
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'proxy-connection', 'upgrade', 'te', 'trailer']);

export interface Route {
  port: number;
}

export function readRoute(routeFile: string): Route | undefined {
  try {
    const r = JSON.parse(readFileSync(routeFile, 'utf8')) as Partial<Route>;
    return typeof r.port === 'number' ? { port: r.port } : undefined;
  } catch {
    return undefined;
  }
}

function forwardable(headers: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined && !HOP_BY_HOP.has(k.toLowerCase())) out[k] = v;
  return out;
}

function answer(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  const body = JSON.stringify({ error: { code, message } });
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/** One attempt at the instance on `port`: 'answered', or the error when it gave no answer at all (refused, reset). */
function tryInstance(port: number, req: IncomingMessage, body: Buffer, res: ServerResponse): Promise<'answered' | Error> {
  return new Promise((resolve) => {
    const headers = { ...forwardable(req.headers), 'content-length': String(body.byteLength) };
    const up = request({ host: '127.0.0.1', port, method: req.method, path: req.url, headers, agent: false });
    let answered = false;
    up.on('response', (r) => {
      answered = true;
      res.writeHead(r.statusCode ?? 502, forwardable(r.headers));
      r.pipe(res);
      r.on('error', () => res.destroy());
      r.on('end', () => resolve('answered'));
      // The client went away: stop reading from the instance.
      res.on('close', () => r.destroy());
    });
    up.on('error', (e) => {
      if (answered) res.destroy();
      resolve(answered ? 'answered' : e);
    });
    up.end(body);
  });
}

async function forward(routeFile: string, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).byteLength;
    if (size > MAX_BODY_BYTES) return answer(res, 413, 'payload_too_large', `request body over ${MAX_BODY_BYTES} bytes`);
    chunks.push(c as Buffer);
  }
  const body = Buffer.concat(chunks);
  const started = Date.now();
  let route = readRoute(routeFile);
  for (;;) {
    if (!route) return answer(res, 503, 'no_instance', 'the endpoint has no InService instance yet (Creating, or its instance failed)');
    const outcome = await tryInstance(route.port, req, body, res);
    if (outcome === 'answered') return;
    // No answer: resend once the route names another instance (an update is switching).
    let next = readRoute(routeFile);
    while (next?.port === route.port && Date.now() - started < SWITCH_WAIT_MS) {
      await new Promise((r) => setTimeout(r, 25));
      next = readRoute(routeFile);
    }
    if (next?.port === route.port) return answer(res, 502, 'instance_unreachable', `the instance on port ${route.port} did not answer: ${outcome.message}`);
    route = next;
  }
}

export function runFrontProxy(port: number, routeFile: string): void {
  const server = createServer((req, res) => {
    forward(routeFile, req, res).catch((e: unknown) => answer(res, 502, 'proxy_error', e instanceof Error ? e.message : String(e)));
  });
  server.keepAliveTimeout = 65_000;
  const stop = (): void => {
    server.close(() => process.exit(0));
    server.closeIdleConnections();
    setTimeout(() => process.exit(0), 5_000).unref();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  // Its endpoint was deleted (or its state dir removed) without stopping it: nothing to front.
  setInterval(() => {
    if (!existsSync(dirname(routeFile))) stop();
  }, 1_000).unref();
  server.on('error', (e) => {
    process.stderr.write(`front proxy: cannot listen on 127.0.0.1:${port}: ${e.message}\n`);
    process.exit(1);
  });
  server.listen({ port, host: '127.0.0.1', exclusive: true }, () => process.stdout.write(`front proxy listening on 127.0.0.1:${port}\n`));
}

if (require.main === module) {
  runFrontProxy(Number(process.env[FRONT_PORT_ENV]), String(process.env[FRONT_ROUTE_ENV]));
}
