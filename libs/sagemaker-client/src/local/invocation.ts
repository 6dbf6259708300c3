import { InvocationTimeoutError, ModelError, NotFoundError, PayloadTooLargeError, ValidationError } from '../errors';
import { assertInvokeOptions, DEFAULT_CLIENT_TIMEOUT_MS, MAX_REALTIME_PAYLOAD_BYTES, toBytes } from '../rules';
import type { InvokeBody, InvokeOptions, InvokeResult } from '../target';
import { LocalHttpTimeout, localRequest, openLocalRequest, type LocalHttpRequest } from './http';
import { ACCOUNT } from './names';
import type { LocalInstanceRecord } from './state';
import type { InstanceSupervisor } from './supervisor';

/**
 * Invocation with SageMaker's rules: the 6 MB payload cap, traffic to the current instance (the
 * old one while Updating), container errors as ModelError, the client timeout and SageMaker's
 * 60 s cut.
 */
export class LocalInvoker {
  constructor(
    private readonly supervisor: InstanceSupervisor,
    private readonly invocationTimeoutMs: number,
  ) {}

  async invoke(endpointName: string, body: InvokeBody, options: InvokeOptions = {}): Promise<InvokeResult> {
    const { instance, variantName, request, clientTimeout } = await this.prepareInvoke(endpointName, body, options);
    let res;
    try {
      res = await localRequest(request);
    } catch (e) {
      throw this.invokeFailure(e, endpointName, instance, clientTimeout);
    }
    if (res.status < 200 || res.status > 299) {
      throw new ModelError(endpointName, res.status, res.body.toString('utf8'), { logLocation: instance.logFile });
    }
    const h = (n: string): string | undefined => {
      const v = res.headers[n];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    return {
      body: new Uint8Array(res.body.buffer, res.body.byteOffset, res.body.byteLength),
      contentType: h('content-type'),
      customAttributes: h('x-amzn-sagemaker-custom-attributes'),
      newSessionId: h('x-amzn-sagemaker-new-session-id'),
      closedSessionId: h('x-amzn-sagemaker-closed-session-id'),
      invokedProductionVariant: variantName,
    };
  }

  async *invokeStream(endpointName: string, body: InvokeBody, options: InvokeOptions = {}): AsyncIterable<Uint8Array> {
    if (options.sessionId === 'NEW_SESSION') throw new ValidationError('a stateful session cannot be started with the streaming API; start it with invoke()');
    const { instance, request, clientTimeout } = await this.prepareInvoke(endpointName, body, options);
    let opened;
    try {
      opened = await openLocalRequest(request);
    } catch (e) {
      throw this.invokeFailure(e, endpointName, instance, clientTimeout);
    }
    const { res, timedOut } = opened;
    const status = res.statusCode ?? 0;
    try {
      if (status < 200 || status > 299) {
        const chunks: Buffer[] = [];
        for await (const c of res) chunks.push(c as Buffer);
        throw new ModelError(endpointName, status, Buffer.concat(chunks).toString('utf8'), { logLocation: instance.logFile });
      }
      for await (const c of res) {
        const b = c as Buffer;
        yield new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
      }
      if (timedOut()) throw new LocalHttpTimeout(request.timeoutMs);
    } catch (e) {
      if (e instanceof ModelError) throw e;
      throw this.invokeFailure(timedOut() ? new LocalHttpTimeout(request.timeoutMs) : e, endpointName, instance, clientTimeout);
    }
  }

  private async prepareInvoke(endpointName: string, body: InvokeBody, options: InvokeOptions) {
    assertInvokeOptions(options);
    const bytes = toBytes(body);
    if (bytes.byteLength > MAX_REALTIME_PAYLOAD_BYTES) throw new PayloadTooLargeError(bytes.byteLength, MAX_REALTIME_PAYLOAD_BYTES);
    const e = await this.supervisor.reconcile(endpointName);
    if (!e) throw new NotFoundError(`Endpoint ${endpointName} of account ${ACCOUNT} not found.`, { resourceKind: 'endpoint', resourceName: endpointName });
    // While Updating, traffic still goes to the old instance, as on SageMaker.
    const instance = e.current;
    if (!instance || (e.status !== 'InService' && e.status !== 'Updating')) {
      throw new ValidationError(`Endpoint ${endpointName} is ${e.status}, not InService${e.failureReason ? `: ${e.failureReason}` : ''}`);
    }
    const headers: Record<string, string> = {
      'content-type': options.contentType ?? 'application/json',
      accept: options.accept ?? 'application/json',
    };
    if (options.customAttributes !== undefined) headers['x-amzn-sagemaker-custom-attributes'] = options.customAttributes;
    if (options.sessionId !== undefined) headers['x-amzn-sagemaker-session-id'] = options.sessionId;
    if (options.inferenceId !== undefined) headers['x-amzn-sagemaker-inference-id'] = options.inferenceId;
    const clientTimeout = options.timeoutMs ?? DEFAULT_CLIENT_TIMEOUT_MS;
    // The one POST /invocations both invoke() and invokeStream() send.
    const request: LocalHttpRequest = {
      port: instance.port,
      method: 'POST',
      path: '/invocations',
      headers,
      body: bytes,
      timeoutMs: Math.min(clientTimeout, this.invocationTimeoutMs),
      signal: options.signal,
    };
    return { instance, variantName: instance.variantName, request, clientTimeout };
  }

  private invokeFailure(e: unknown, endpointName: string, instance: LocalInstanceRecord, clientTimeout: number): Error {
    if (e instanceof LocalHttpTimeout) {
      if (clientTimeout <= this.invocationTimeoutMs) {
        return new InvocationTimeoutError(`invocation of ${endpointName} did not complete within the client timeout of ${clientTimeout} ms`, clientTimeout, {
          cause: e,
        });
      }
      // SageMaker's own 60 s cut surfaces as a ModelError, with SageMaker's wording.
      return new ModelError(endpointName, 0, '', {
        message: `Your invocation timed out while waiting for a response from container primary (${this.invocationTimeoutMs} ms).`,
        logLocation: instance.logFile,
      });
    }
    if (e instanceof Error && (e.name === 'AbortError' || e.message === 'aborted')) return e;
    return new ModelError(endpointName, 0, '', {
      message: `Received server error (0) from primary: could not get a response from the ${endpointName} endpoint (${e instanceof Error ? e.message : String(e)}).`,
      logLocation: instance.logFile,
      cause: e,
    });
  }
}
