import { randomUUID } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import Fastify, { LogController, type FastifyInstance, type FastifyRequest } from 'fastify';
import multipart from '@fastify/multipart';
import pino from 'pino';
import type { ServerConfig } from './config';
import { errorHandler, sendError } from './errors';
import type { Inference } from './infer/types';
import { S3FrameFetcher } from './inputs/s3-uris';
import { limitsPlugin } from './plugins/limits';
import { Metrics } from './plugins/metrics';
import { modelPlugin } from './plugins/model';
import { SessionStore } from './plugins/sessions';
import { executionParametersRoute } from './routes/execution-parameters';
import { invocationsRoute } from './routes/invocations';
import { pingRoute, answerPing } from './routes/ping';
import { lingerAfterAnswer } from './plugins/linger';
import { transport } from './plugins/transport';

export interface BuildOptions {
  config: ServerConfig;
  /** Tests pass a fake or a tiny-worker pool; production builds the piscina pool from config. */
  inference?: Inference;
  s3?: S3FrameFetcher;
  logger?: pino.Logger;
}

export interface App extends FastifyInstance {
  sessions: SessionStore;
  metrics: Metrics;
}

const INFERENCE_ID = /^[\x21-\x7e]{1,64}$/;

/**
 * A body refused before it was read in full is normally read to its end, so the client (fetch
 * among them) gets the answer and keeps the connection; one of unknown length (chunked) or of
 * over twice the limit is not worth reading: hang up after the answer instead.
 */
function unreadBodyTooLarge(req: FastifyRequest, status: number, maxBodyBytes: number): boolean {
  if (status !== 413 || req.raw.complete) return false;
  const declared = Number(req.headers['content-length']);
  return !Number.isFinite(declared) || declared > 2 * maxBodyBytes;
}

/** The whole server without listen(): plugins in order, then routes (tests use app.inject()). */
export async function buildApp(opts: BuildOptions): Promise<App> {
  const { config } = opts;
  const logger =
    opts.logger ??
    pino({
      level: config.logLevel,
      base: { service: 'vad-serve' },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    });
  const net = transport(config);
  const app = Fastify({
    loggerInstance: logger,
    serverFactory: net.serverFactory,
    clientErrorHandler: net.clientErrorHandler,
    bodyLimit: config.maxBodyBytes,
    // The request id is SageMaker's InferenceId when the client set one, so logs and data
    // capture line up; otherwise a fresh UUID.
    genReqId: (req) => {
      const id = req.headers['x-amzn-sagemaker-inference-id'];
      return typeof id === 'string' && INFERENCE_ID.test(id) ? id : randomUUID();
    },
    // Our own one-line-per-request log below; fastify's two lines per request would put every
    // /ping in CloudWatch (toolkit #70).
    logController: new LogController({ disableRequestLogging: true, requestIdLogLabel: 'requestId' }),
    return503OnClosing: true,
    forceCloseConnections: 'idle',
  }) as unknown as App;

  // ① Plugins, in order: limits, negotiation (in the route: parse/Accept helpers), model, sessions, metrics.
  limitsPlugin(app, config);
  const inference = modelPlugin(app, { config, inference: opts.inference });
  const sessions = new SessionStore(config.sessions);
  const metrics = new Metrics(() => ({
    vad_model_ready: { help: '1 once the model is loaded, verified and warmed in every worker.', value: inference.readiness().state === 'ready' ? 1 : 0 },
    vad_queue_depth: { help: 'Invocations waiting for a worker.', value: inference.queueDepth() },
    vad_workers: { help: 'Inference worker threads.', value: inference.workers },
    vad_workers_busy: { help: 'Workers running an invocation.', value: inference.busyWorkers() },
    vad_sessions: { help: 'Open stateful sessions and streams.', value: sessions.size },
    vad_session_bytes: { help: 'Bytes held by session frames.', value: sessions.bytesHeld },
    process_resident_memory_bytes: { help: 'Resident set size.', value: process.memoryUsage.rss() },
  }));
  app.decorate('sessions', sessions);
  app.decorate('metrics', metrics);
  const s3 = opts.s3 ?? new S3FrameFetcher(config.s3);
  app.addHook('onClose', async () => s3.destroy());

  // Bodies: we parse ourselves (media-type parameters, our error codes), so fastify's defaults go.
  app.removeAllContentTypeParsers();
  await app.register(multipart, { limits: { fileSize: config.maxBodyBytes, files: config.maxFrames + 1 } });
  app.addContentTypeParser('*', { parseAs: 'buffer', bodyLimit: config.maxBodyBytes }, (_req, body, done) => done(null, body));

  app.setErrorHandler(errorHandler);
  app.setNotFoundHandler((req, reply) => {
    reply.errorCode = 'not_found';
    return sendError(
      reply,
      {
        code: 'not_found',
        message: `${req.method} ${req.url} does not exist; the API is GET /ping, POST /invocations, GET /execution-parameters, GET /metrics`,
      },
      req.id,
    );
  });

  app.addHook('onRequest', async (req) => {
    if (req.url === '/invocations') metrics.inFlight++;
  });
  // SIGTERM drain: responses finishing after close() began tell keep-alive clients to hang up,
  // or their idle sockets would hold the server open past SageMaker's 30 s SIGKILL.
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  net.ping = (_req, res) => {
    if (closing) return false;
    const t0 = performance.now();
    answerPing(inference, res);
    metrics.observeRequest('/ping', res.statusCode, res.statusCode === 200 ? 'ok' : 'model_not_ready', (performance.now() - t0) / 1000);
    return true;
  };
  app.addHook('onSend', async (req, reply, payload) => {
    if (unreadBodyTooLarge(req, reply.statusCode, config.maxBodyBytes)) {
      reply.header('connection', 'close');
      lingerAfterAnswer(req.raw.socket);
    } else if (closing) reply.header('connection', 'close');
    return payload;
  });
  app.addHook('onResponse', async (req, reply) => {
    const route = req.routeOptions.url ?? 'unmatched';
    if (req.url === '/invocations') metrics.inFlight--;
    const seconds = reply.elapsedTime / 1000;
    metrics.observeRequest(route, reply.statusCode, reply.errorCode ?? (reply.statusCode < 400 ? 'ok' : 'error'), seconds);
    // /ping and /metrics every few seconds, and refusals under overload (hundreds a second), at
    // info would cost the event loop what the refusal saved.
    const quiet = route === '/ping' || route === '/metrics' || reply.statusCode === 429;
    const line = { method: req.method, url: req.url, status: reply.statusCode, code: reply.errorCode, ms: Math.round(reply.elapsedTime * 10) / 10 };
    if (quiet) req.log.debug(line, 'request');
    else req.log.info(line, 'request');
  });

  // ② Routes.
  pingRoute(app);
  invocationsRoute(app, { config, sessions, s3, metrics });
  // GET /invocations and friends: the route exists, the method does not (RFC 9110 §15.5.6).
  app.route({
    method: ['GET', 'PUT', 'DELETE', 'PATCH'],
    url: '/invocations',
    handler: async (req, reply) => {
      reply.errorCode = 'method_not_allowed';
      return sendError(
        reply.header('allow', 'POST'),
        { code: 'method_not_allowed', message: `${req.method} /invocations is not allowed; invocations are POST /invocations` },
        req.id,
      );
    },
  });
  executionParametersRoute(app, config);
  app.get('/metrics', async (_req, reply) => reply.code(200).header('content-type', 'text/plain; version=0.0.4; charset=utf-8').send(metrics.render()));

  return app;
}
