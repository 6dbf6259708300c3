import { performance } from 'node:perf_hooks';
import { SAGEMAKER_HEADERS, VadError } from '@vad/contracts';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { ServerConfig } from '../config';
import type { InferResult, InferTask } from '../infer/types';
import type { FrameSource, ParsedRequest } from '../inputs/frames';
import { parseImageBody } from '../inputs/image';
import { parseJsonInvocation } from '../inputs/json-base64';
import { parseMultipart } from '../inputs/multipart';
import type { S3FrameFetcher } from '../inputs/s3-uris';
import { decodeVideo } from '../inputs/video';
import { invocationJson } from '../outputs/json';
import type { Metrics } from '../plugins/metrics';
import { chooseResponseType, negotiateOrThrow, requestKind, sagemakerContext, type ResponseType, type SageMakerContext } from '../plugins/negotiation';
import { newSessionHeader, sessionKey, streamKey, type SessionStore } from '../plugins/sessions';

export interface InvocationDeps {
  config: ServerConfig;
  sessions: SessionStore;
  s3: S3FrameFetcher;
  metrics: Metrics;
}

const NEEDS_CLIP =
  'one frame cannot be scored on its own: AI-VAD scores a clip of two frames (t−1, t). Send both, e.g. ' +
  '{"frames": [{"b64": "<t-1>"}, {"b64": "<t>"}]} or multipart (curl -F f=@a.jpg -F f=@b.jpg), or stream single frames in a ' +
  'session: first request with X-Amzn-SageMaker-Session-Id: NEW_SESSION (or X-Amzn-SageMaker-Custom-Attributes: stream=<id>), ' +
  'then each frame is scored against the previous one';

/** Where consecutive single frames are chained: a SageMaker stateful session, or `stream=<id>`. */
interface Chain {
  key: string;
  kind: 'session' | 'stream';
  prev: Uint8Array | undefined;
  newSession?: { id: string; expires: Date };
}

function resolveChain(req: FastifyRequest, sessions: SessionStore, sessionId: string | undefined, stream: string | undefined): Chain | undefined {
  if (sessionId === 'NEW_SESSION') {
    const s = sessions.create();
    return { key: sessionKey(s.id), kind: 'session', prev: undefined, newSession: s };
  }
  if (sessionId) {
    const e = sessions.get(sessionKey(sessionId));
    if (!e) {
      throw new VadError(
        'not_found',
        `session ${sessionId} is unknown, closed or expired: a session lives VAD_SESSION_TTL_S seconds from its NEW_SESSION (the Expires the server sent), however often it is used, and is then forgotten; start a new one with X-Amzn-SageMaker-Session-Id: NEW_SESSION`,
        { sessionId },
      );
    }
    return { key: sessionKey(sessionId), kind: 'session', prev: e.prev };
  }
  if (stream) {
    const e = sessions.get(streamKey(stream));
    return { key: streamKey(stream), kind: 'stream', prev: e?.prev };
  }
  void req;
  return undefined;
}

async function parseBody(req: FastifyRequest, config: ServerConfig, fps: number | undefined): Promise<{ parsed: ParsedRequest; decodeMs?: number }> {
  const { kind } = requestKind(req.headers['content-type']);
  const body = req.body as Buffer | undefined;
  switch (kind) {
    case 'json':
      if (!body || body.byteLength === 0) throw new VadError('bad_json', 'the JSON body is empty');
      return { parsed: parseJsonInvocation(body, config.maxFrames) };
    case 'multipart':
      return { parsed: await parseMultipart(req, config.maxFrames, config.maxBodyBytes) };
    case 'image':
      return { parsed: parseImageBody(body) };
    case 'video': {
      if (!body || body.byteLength === 0) throw new VadError('bad_video', 'the video body is empty');
      const t0 = performance.now();
      const frames = await decodeVideo(new Uint8Array(body.buffer, body.byteOffset, body.byteLength), {
        ffmpegPath: config.ffmpegPath,
        fps,
        maxFrames: config.maxFrames,
        deadline: req.deadline,
        maxPixels: config.maxPixels,
      });
      return { parsed: { form: 'sequence', frames: frames.map((bytes) => ({ kind: 'bytes', bytes })) }, decodeMs: performance.now() - t0 };
    }
  }
}

function withDeadline<T>(p: Promise<T>, deadline: number): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const timer = setTimeout(
      () =>
        reject(
          new VadError(
            'deadline_exceeded',
            "the request ran past its deadline (VAD_DEADLINE_MS, below SageMaker's 60 s cap); send fewer frames per request or use async inference",
          ),
        ),
      Math.max(0, deadline - Date.now()),
    );
    p.then(
      (v) => {
        clearTimeout(timer);
        resolve(v);
      },
      (e) => {
        clearTimeout(timer);
        reject(e);
      },
    );
  });
}

const contexts = new WeakMap<FastifyRequest, SageMakerContext>();

export function invocationsRoute(app: FastifyInstance, deps: InvocationDeps): void {
  const { config, sessions, s3, metrics } = deps;

  const refuseIfBusy = (): void => {
    const readiness = app.inference.readiness();
    if (readiness.state !== 'ready') throw new VadError('model_not_ready', readiness.reason);
    if (!app.inference.hasCapacity()) {
      throw new VadError('overloaded', `all ${app.inference.workers} workers are busy and the queue is full; retry with backoff`);
    }
  };

  // Before the body is read: a loading or overloaded server refuses without buffering or parsing
  // megabytes it will not use (node discards the unread body), so a burst of refusals stays cheap
  // and /ping keeps its main thread.
  const early = async (req: FastifyRequest, reply: FastifyReply): Promise<void> => {
    const ctx = sagemakerContext(req.headers);
    contexts.set(req, ctx);
    // Echoed as SageMaker does: whatever the container sets comes back as CustomAttributes.
    if (ctx.attributes.raw !== undefined) reply.header(SAGEMAKER_HEADERS.customAttributes, ctx.attributes.raw);
    if (ctx.inferenceId !== undefined) reply.header(SAGEMAKER_HEADERS.inferenceId, ctx.inferenceId);
    refuseIfBusy();
  };

  app.post('/invocations', { onRequest: early }, async (req: FastifyRequest, reply: FastifyReply) => {
    const tStart = performance.now();
    const ctx = contexts.get(req) ?? sagemakerContext(req.headers);

    const readiness = app.inference.readiness();
    if (readiness.state !== 'ready') throw new VadError('model_not_ready', readiness.reason);
    const model = readiness.model;

    const accepted = negotiateOrThrow(req.headers.accept);
    requestKind(req.headers['content-type']);
    // Again after the upload: no S3 fetch or video decode for a request we cannot run.
    refuseIfBusy();

    const { parsed, decodeMs } = await parseBody(req, config, ctx.attributes.fps);
    const timingsMs: Record<string, number> = {};
    if (decodeMs !== undefined) timingsMs.video = decodeMs;

    if (parsed.form === 'control') return control(req, reply, parsed.requestType, ctx.sessionId);

    const chain = resolveChain(req, sessions, ctx.sessionId, ctx.attributes.stream);
    if (chain?.newSession) reply.header(SAGEMAKER_HEADERS.newSessionId, newSessionHeader(chain.newSession.id, chain.newSession.expires));

    // Build the task: frames in order, and which request frame each result scores.
    let sources: FrameSource[];
    let pairs: Array<[number, number]> | undefined;
    let resultFrames: number[];
    let prepended = false;
    if (parsed.form === 'sequence') {
      sources = parsed.frames;
      if (chain?.prev) {
        sources = [{ kind: 'bytes', bytes: chain.prev }, ...sources];
        prepended = true;
      }
      if (sources.length < 2 && !chain) throw new VadError('needs_clip', NEEDS_CLIP);
      const offset = prepended ? 1 : 0;
      resultFrames = Array.from({ length: Math.max(0, sources.length - 1) }, (_, i) => i + 1 - offset);
    } else {
      sources = parsed.clips.flatMap((c) => [c.first, c.last]);
      pairs = parsed.clips.map((_, i) => [2 * i, 2 * i + 1] as [number, number]);
      resultFrames = parsed.clips.map((c) => c.lastIndex);
    }
    const responseType: ResponseType = chooseResponseType(accepted, resultFrames.length);

    const abort = new AbortController();
    const deadlineTimer = setTimeout(() => abort.abort(), Math.max(0, req.deadline - Date.now()));
    let frames: Uint8Array[];
    try {
      const tFetch = performance.now();
      frames = await s3.resolve(sources, abort.signal);
      if (sources.some((s) => s.kind === 's3')) timingsMs.fetch = performance.now() - tFetch;
    } finally {
      clearTimeout(deadlineTimer);
    }

    // A lone first frame of a session or stream is still decoded by a worker, so a bad image is
    // refused now rather than breaking the next request.
    const abandoned = new Int32Array(new SharedArrayBuffer(4));
    const task: InferTask = {
      requestId: req.id,
      abandoned,
      frames,
      mode: parsed.form === 'sequence' ? 'sequence' : 'clips',
      pairs,
      deadline: req.deadline,
      submittedAt: Date.now(),
      render: responseType === 'image/png' ? 'png' : responseType === 'image/jpeg' ? 'jpeg' : undefined,
    };
    // A client that hangs up (SageMaker gives up at 60 s) must not leave its clip occupying the
    // queue or a worker: the flag tells the worker to drop it.
    const abandon = (): void => {
      Atomics.store(abandoned, 0, 1);
    };
    const onClose = (): void => {
      if (!reply.raw.writableFinished) abandon();
    };
    reply.raw.once('close', onClose);
    const tRun = performance.now();
    let out: InferResult;
    try {
      out = await withDeadline(app.inference.run(task), req.deadline);
    } catch (e) {
      abandon();
      throw e;
    } finally {
      reply.raw.removeListener('close', onClose);
    }
    timingsMs.inference = performance.now() - tRun;
    Object.assign(timingsMs, out.timingsMs);
    metrics.observeStages(out.timingsMs);

    if (chain) sessions.setPrevious(chain.key, frames[frames.length - 1]!, chain.kind);

    timingsMs.total = performance.now() - tStart;
    req.log.info({ inferenceId: ctx.inferenceId, frames: frames.length, results: out.clips.length, timingsMs }, 'invocation');

    if (responseType !== 'application/json') {
      if (!out.rendered) throw new VadError('internal', 'the scored frame was not rendered');
      return reply
        .code(200)
        .header('content-type', responseType)
        .send(Buffer.from(out.rendered.buffer, out.rendered.byteOffset, out.rendered.byteLength));
    }
    // Sizes of the scored frames (the clip's last), as sent, to scale boxes back.
    const lastIndexInTask = pairs ? pairs.map((p) => p[1]) : resultFrames.map((_, i) => i + 1);
    const sizes = lastIndexInTask.map((i) => out.originalSizes[i]!);
    const json = invocationJson(model, out.clips, resultFrames, sizes, timingsMs);
    return reply.code(200).header('content-type', 'application/json; charset=utf-8').send(JSON.stringify(json));
  });

  function control(req: FastifyRequest, reply: FastifyReply, requestType: 'NEW_SESSION' | 'CLOSE', sessionId: string | undefined): FastifyReply {
    if (requestType === 'NEW_SESSION') {
      if (sessionId !== 'NEW_SESSION') {
        throw new VadError('bad_request', '{"requestType": "NEW_SESSION"} needs the header X-Amzn-SageMaker-Session-Id: NEW_SESSION');
      }
      const s = sessions.create();
      reply.header(SAGEMAKER_HEADERS.newSessionId, newSessionHeader(s.id, s.expires));
      return reply
        .code(200)
        .header('content-type', 'application/json; charset=utf-8')
        .send(JSON.stringify({ session: { id: s.id, expires: s.expires.toISOString().replace(/\.\d{3}Z$/, 'Z') } }));
    }
    if (!sessionId || sessionId === 'NEW_SESSION') {
      throw new VadError('bad_request', '{"requestType": "CLOSE"} needs the header X-Amzn-SageMaker-Session-Id: <session id>');
    }
    // Closing is idempotent: an expired session is as closed as a closed one.
    const existed = sessions.close(sessionKey(sessionId));
    req.log.info({ sessionId, existed }, 'session closed');
    reply.header(SAGEMAKER_HEADERS.closedSessionId, sessionId);
    return reply
      .code(200)
      .header('content-type', 'application/json; charset=utf-8')
      .send(JSON.stringify({ session: { id: sessionId, closed: true } }));
  }
}
