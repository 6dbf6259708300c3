import type { FastifyInstance } from 'fastify';
import { sendError } from '../errors';

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
