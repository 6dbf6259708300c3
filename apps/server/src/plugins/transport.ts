import { createServer, STATUS_CODES, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { ERRORS, type ErrorCode } from '@vad/contracts';
import type { ServerConfig } from '../config';
import { errorBody } from '../errors';

/**
 * The HTTP server under fastify: timeouts so slow or idle clients cannot hold sockets, a
 * connection cap, transport errors (timeouts, oversized headers, a malformed request line or
 * Content-Length) in the API's error shape, and a fast path for GET /ping.
 */
export interface Transport {
  /** fastify's `serverFactory`. */
  serverFactory: (handler: (req: IncomingMessage, res: ServerResponse) => void) => Server;
  /** fastify's `clientErrorHandler`. */
  clientErrorHandler: (err: NodeJS.ErrnoException, socket: Socket) => void;
  /**
   * Set once the model plugin exists: answers GET /ping on the socket before fastify routes,
   * parses or hooks anything, so SageMaker's health check is not queued behind a storm of
   * invocations being refused. Returns false to let fastify answer (e.g. while draining).
   */
  ping?: (req: IncomingMessage, res: ServerResponse) => boolean;
}

function transportError(err: NodeJS.ErrnoException, config: ServerConfig): { code: ErrorCode; message: string } {
  if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
    return {
      code: 'request_timeout',
      message: `the request's headers did not arrive within ${config.http.headersTimeoutMs} ms (VAD_HEADERS_TIMEOUT_MS) or its body within ${config.http.requestTimeoutMs} ms (VAD_REQUEST_TIMEOUT_MS)`,
    };
  }
  if (err.code === 'HPE_HEADER_OVERFLOW') return { code: 'headers_too_large', message: 'the request headers are over 16 KiB' };
  return { code: 'bad_request', message: `malformed HTTP request (${err.code ?? 'parse error'}: ${err.message})` };
}

export function transport(config: ServerConfig): Transport {
  const { headersTimeoutMs, requestTimeoutMs, idleTimeoutMs, maxConnections } = config.http;
  const t: Transport = {
    serverFactory(handler) {
      const server = createServer(
        {
          headersTimeout: Math.min(headersTimeoutMs, requestTimeoutMs),
          requestTimeout: requestTimeoutMs,
          // Node checks these timeouts on this interval (default 30 s): check often enough that a
          // 10 s limit means about 10 s.
          connectionsCheckingInterval: Math.max(100, Math.min(1000, Math.floor(headersTimeoutMs / 4))),
        },
        (req, res) => {
          if (t.ping && req.method === 'GET' && req.url === '/ping' && t.ping(req, res)) return;
          handler(req, res);
        },
      );
      // A socket that goes quiet this long mid-request is closed (idle keep-alive sockets are
      // governed by keepAliveTimeout, longer than SageMaker's 60 s idle as its docs ask).
      server.setTimeout(idleTimeoutMs);
      server.keepAliveTimeout = 65_000;
      server.maxConnections = maxConnections;
      return server;
    },
    clientErrorHandler(err, socket) {
      if (err.code === 'ECONNRESET' || socket.destroyed) return;
      const coded = transportError(err, config);
      const status = ERRORS[coded.code].status;
      const body = JSON.stringify(errorBody(coded));
      if (socket.writable) {
        socket.write(
          `HTTP/1.1 ${status} ${STATUS_CODES[status] ?? 'Error'}\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
        );
      }
      socket.destroy();
    },
  };
  return t;
}
