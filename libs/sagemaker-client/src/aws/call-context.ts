import { CONNECTION_LOST } from './map-error';
/**
 * Names the call and the HTTP status on errors whose body the SDK could not parse. A proxy, a
 * load balancer or an emulator answering HTML (`<html>…502…`) otherwise surfaces as
 * "Unexpected token '<' … is not valid JSON", naming neither; with this it reads
 * "DescribeEndpoint: HTTP 502, body not JSON/XML (<html>…)". The status also lands in
 * $metadata, so mapAwsError classifies a 5xx as retryable.
 */
interface MiddlewareClient {
  middlewareStack: { add(mw: unknown, options: { step: 'initialize'; name: string; override?: boolean }): void };
}

interface UnparsedError extends Error {
  $response?: { statusCode?: number };
  $responseBodyText?: string;
  $metadata?: { httpStatusCode?: number };
}

export function nameFailedCalls<C extends MiddlewareClient>(client: C): C {
  client.middlewareStack.add(
    (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
      try {
        return await next(args);
      } catch (e) {
        const err = e as UnparsedError;
        const status = err?.$response?.statusCode ?? err?.$metadata?.httpStatusCode;
        const unparsed =
          err?.$responseBodyText !== undefined ||
          err?.name === 'SyntaxError' ||
          /Deserialization error|is not valid JSON|Unexpected token/.test(err?.message ?? '');
        const call = context.commandName?.replace(/Command$/, '');
        const lost = (err as { code?: string })?.code;
        if (err instanceof Error && lost && CONNECTION_LOST.has(lost) && call && !err.message.startsWith(call)) {
          err.message = `${call}: connection lost before an answer (${lost}: ${err.message.split('\n')[0]})`;
        } else if (err instanceof Error && unparsed && call && !err.message.startsWith(call)) {
          const body = (err.$responseBodyText ?? '').replace(/\s+/g, ' ').trim().slice(0, 120);
          err.message = `${call}: HTTP ${status ?? '?'}, body not JSON/XML${body ? ` (${body})` : ''}: ${err.message.split('\n')[0]}`;
          if (status !== undefined) err.$metadata = { ...err.$metadata, httpStatusCode: status };
        }
        throw e;
      }
    },
    { step: 'initialize', name: 'vadNameFailedCalls', override: true },
  );
  return client;
}

/**
 * Path-style S3 addressing (`http://host/bucket/key`): always with an explicit endpoint, and with
 * AWS_ENDPOINT_URL(_S3) overrides (S3-compatible servers on a hostname — moto, MinIO — have no
 * `bucket.host` DNS). VAD_S3_PATH_STYLE=true|false decides explicitly.
 */
export function s3PathStyle(endpoint: string | undefined, env: NodeJS.ProcessEnv = process.env): boolean {
  const v = env.VAD_S3_PATH_STYLE?.trim().toLowerCase();
  if (v === 'true' || v === '1') return true;
  if (v === 'false' || v === '0') return false;
  return endpoint !== undefined || !!env.AWS_ENDPOINT_URL_S3 || !!env.AWS_ENDPOINT_URL;
}
