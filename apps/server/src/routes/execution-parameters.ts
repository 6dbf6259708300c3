import { ExecutionParametersSchema, type ExecutionParameters } from '@vad/contracts';
import type { FastifyInstance } from 'fastify';
import type { ServerConfig } from '../config';

/**
 * Batch Transform asks this once per job (job settings > these > SageMaker's defaults of 1 and
 * 6 MB). Each S3 object is one request (SplitType None for images), hence SINGLE_RECORD, and
 * SageMaker requires MaxConcurrentTransforms × MaxPayloadInMB ≤ 100.
 */
export function executionParameters(config: ServerConfig): ExecutionParameters {
  const payloadMb = Math.max(1, Math.min(100, Math.floor(config.maxBodyBytes / (1024 * 1024))));
  const concurrency = Math.max(1, Math.min(config.workers * (1 + Math.min(1, config.queuePerWorker)), Math.floor(100 / payloadMb)));
  return ExecutionParametersSchema.parse({ MaxConcurrentTransforms: concurrency, BatchStrategy: 'SINGLE_RECORD', MaxPayloadInMB: payloadMb });
}

export function executionParametersRoute(app: FastifyInstance, config: ServerConfig): void {
  const params = executionParameters(config);
  app.get('/execution-parameters', async (_req, reply) =>
    reply.code(200).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(params)),
  );
}
