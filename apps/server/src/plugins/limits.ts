import { VadError } from '@vad/contracts';
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config';

/**
 * Request limits. fastify's bodyLimit covers buffered bodies; multipart streams past it, so a
 * declared Content-Length over the limit is refused here before a byte is read. Each request gets
 * a deadline below SageMaker's 60 s invocation cap, so the client sees our 504, not SageMaker's.
 */
export function limitsPlugin(app: FastifyInstance, config: ServerConfig): void {
  app.decorateRequest('deadline', 0);
  app.addHook('onRequest', async (req) => {
    req.deadline = Date.now() + config.deadlineMs;
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > config.maxBodyBytes) {
      throw new VadError(
        'payload_too_large',
        `the body is ${declared} bytes, over ${config.maxBodyBytes} (VAD_MAX_BODY_MB); SageMaker real-time requests are capped at 6 MB: send frames as s3:// URIs or use async inference`,
        { bytes: declared, max: config.maxBodyBytes },
      );
    }
  });
}

declare module 'fastify' {
  interface FastifyRequest {
    /** Epoch ms after which the request answers 504 deadline_exceeded. */
    deadline: number;
  }
}
