import type { ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import { errorBody, sendError } from '../errors';
import type { Inference } from '../infer/types';

/**
 * SageMaker health check: 200 with an empty body means ready; anything else, not ready. It is
 * answered from state the main thread already holds (no worker round trip), so it stays within
 * SageMaker's 2 s ping timeout while every worker is busy.
 */
export function pingRoute(app: FastifyInstance): void {
  app.get('/ping', async (_req, reply) => {
    const r = app.inference.readiness();
    if (r.state === 'ready') return reply.code(200).send();
    reply.errorCode = 'model_not_ready';
    return sendError(reply, { code: 'model_not_ready', message: r.reason });
  });
}

/** The same answer written straight to the socket: the transport's fast path (plugins/transport). */
export function answerPing(inference: Pick<Inference, 'readiness'>, res: ServerResponse): void {
  const r = inference.readiness();
  if (r.state === 'ready') {
    res.writeHead(200, { 'content-length': '0' }).end();
    return;
  }
  const body = JSON.stringify(errorBody({ code: 'model_not_ready', message: r.reason }));
  res.writeHead(503, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}
