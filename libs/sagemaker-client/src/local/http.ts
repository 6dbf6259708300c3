import { request, type IncomingMessage } from 'node:http';

/** A minimal HTTP client for loopback servers with a hard deadline (the whole exchange). */

export interface LocalHttpRequest {
  port: number;
  method: 'GET' | 'POST';
  path: string;
  headers?: Record<string, string>;
  body?: Uint8Array;
  /** Deadline for the whole exchange (connect + response complete). */
  timeoutMs: number;
  signal?: AbortSignal;
}

export interface LocalHttpResponse {
  status: number;
  headers: IncomingMessage['headers'];
  body: Buffer;
}

export class LocalHttpTimeout extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no complete answer within ${timeoutMs} ms`);
    this.name = 'LocalHttpTimeout';
  }
}

/** Sends a request and returns the response head plus the body stream (for streaming callers). */
export function openLocalRequest(req: LocalHttpRequest): Promise<{ res: IncomingMessage; done: () => void; timedOut: () => boolean }> {
  let timedOut = false;
  return new Promise((resolve, reject) => {
    const r = request({
      host: '127.0.0.1',
      port: req.port,
      method: req.method,
      path: req.path,
      headers: { ...req.headers, ...(req.body ? { 'content-length': String(req.body.byteLength) } : {}) },
      agent: false,
    });
    const timer = setTimeout(() => {
      timedOut = true;
      r.destroy(new LocalHttpTimeout(req.timeoutMs));
    }, req.timeoutMs);
    const onAbort = (): void => {
      r.destroy(req.signal?.reason instanceof Error ? req.signal.reason : new Error('aborted'));
    };
    req.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (): void => {
      clearTimeout(timer);
      req.signal?.removeEventListener('abort', onAbort);
    };
    r.on('error', (e) => {
      done();
      reject(e);
    });
    r.on('response', (res) => {
      res.on('error', () => done());
      res.on('close', done);
      resolve({ res, done, timedOut: () => timedOut });
    });
    r.end(req.body ? Buffer.from(req.body.buffer, req.body.byteOffset, req.body.byteLength) : undefined);
  });
}

export async function localRequest(req: LocalHttpRequest): Promise<LocalHttpResponse> {
  const { res, timedOut } = await openLocalRequest(req);
  const chunks: Buffer[] = [];
  try {
    for await (const c of res) chunks.push(c as Buffer);
  } catch (e) {
    throw timedOut() ? new LocalHttpTimeout(req.timeoutMs) : e;
  }
  if (timedOut()) throw new LocalHttpTimeout(req.timeoutMs);
  return { status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) };
}
