import type { S3Client } from '@aws-sdk/client-s3';
import { S3_URI } from '@vad/contracts';
import { HttpError } from '../errors';
import type { FrameSource } from './frames';

export interface S3FetchOptions {
  /** VAD_S3_ALLOWED_BUCKETS; undefined: any bucket the server's credentials can read. */
  allowedBuckets?: string[];
  /** VAD_S3_ENDPOINT or AWS_ENDPOINT_URL_S3 (s3rver, MinIO, a VPC endpoint). */
  endpoint?: string;
  region: string;
  concurrency: number;
  maxObjectBytes: number;
  /** Defaults to the SDK's provider chain (the SageMaker execution role in production). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
}

export function parseS3Uri(uri: string): { bucket: string; key: string } {
  const m = S3_URI.exec(uri);
  if (!m) throw new HttpError('bad_request', `${JSON.stringify(uri)} is not an s3://bucket/key URI`);
  return { bucket: m[1]!, key: m[2]! };
}

/**
 * Frames given as s3:// URIs (the original tutorial's request), fetched by the server with its own
 * credentials, in parallel with bounded concurrency; the first failure cancels the rest.
 */
export class S3FrameFetcher {
  private client: S3Client | undefined;

  constructor(private readonly opts: S3FetchOptions) {}

  // The SDK loads on the first s3:// frame, not at start-up: it costs ~100 ms of the 250 ms in
  // which SageMaker wants the socket accepting, and many deployments never use it.
  private async s3(): Promise<{ client: S3Client; GetObjectCommand: typeof import('@aws-sdk/client-s3').GetObjectCommand }> {
    const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
    this.client ??= new S3Client({
      region: this.opts.region,
      endpoint: this.opts.endpoint,
      forcePathStyle: this.opts.endpoint !== undefined,
      // Checksums only where the service requires them: S3-compatible stores (s3rver) store the
      // aws-chunked framing of a flexible-checksum upload as data (toolchain-notes §2).
      requestChecksumCalculation: 'WHEN_REQUIRED',
      responseChecksumValidation: 'WHEN_REQUIRED',
      maxAttempts: 3,
      credentials: this.opts.credentials,
    });
    return { client: this.client, GetObjectCommand };
  }

  /** Refuses URIs outside the allow-list before any request is made. */
  checkAllowed(sources: FrameSource[]): void {
    const allowed = this.opts.allowedBuckets;
    if (!allowed) return;
    for (const s of sources) {
      if (s.kind !== 's3') continue;
      const { bucket } = parseS3Uri(s.uri);
      if (!allowed.includes(bucket)) {
        throw new HttpError('s3_forbidden', `bucket ${bucket} is not in VAD_S3_ALLOWED_BUCKETS`, { uri: s.uri });
      }
    }
  }

  async fetchOne(uri: string, signal?: AbortSignal): Promise<Uint8Array> {
    const { bucket, key } = parseS3Uri(uri);
    try {
      const { client, GetObjectCommand } = await this.s3();
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
      if (out.ContentLength !== undefined && out.ContentLength > this.opts.maxObjectBytes) {
        await out.Body?.transformToByteArray().catch(() => undefined);
        throw new HttpError('payload_too_large', `${uri} is ${out.ContentLength} bytes, over VAD_S3_MAX_OBJECT_MB`, { uri });
      }
      if (!out.Body) throw new HttpError('s3_not_found', `${uri} has no body`, { uri });
      return await out.Body.transformToByteArray();
    } catch (e) {
      throw mapS3Error(e, uri);
    }
  }

  /** All S3 sources resolved to bytes, in place order; byte sources pass through. */
  async resolve(sources: FrameSource[], signal?: AbortSignal): Promise<Uint8Array[]> {
    this.checkAllowed(sources);
    const out: Uint8Array[] = new Array(sources.length);
    const pending: number[] = [];
    sources.forEach((s, i) => {
      if (s.kind === 'bytes') out[i] = s.bytes;
      else pending.push(i);
    });
    if (pending.length === 0) return out;
    const abort = new AbortController();
    const onOuterAbort = (): void => abort.abort(signal?.reason);
    signal?.addEventListener('abort', onOuterAbort, { once: true });
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < pending.length) {
        const i = pending[next++]!;
        out[i] = await this.fetchOne((sources[i] as { uri: string }).uri, abort.signal);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, pending.length) }, lane));
    } catch (e) {
      abort.abort();
      if (signal?.aborted) throw new HttpError('deadline_exceeded', 'the request ran past its deadline while fetching frames from S3');
      throw e;
    } finally {
      signal?.removeEventListener('abort', onOuterAbort);
    }
    return out;
  }

  destroy(): void {
    this.client?.destroy();
  }
}

export function mapS3Error(e: unknown, uri: string): unknown {
  if (e instanceof HttpError) return e;
  const name = (e as { name?: string })?.name ?? '';
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket' || status === 404) {
    return new HttpError('s3_not_found', `${uri} does not exist (${name || status})`, { uri });
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || name === 'AllAccessDisabled' || status === 403) {
    return new HttpError('s3_forbidden', `the server's credentials may not read ${uri} (${name || status})`, { uri });
  }
  if (name === 'AbortError') return new HttpError('deadline_exceeded', `fetching ${uri} ran past the request deadline`, { uri });
  return new HttpError('internal', `fetching ${uri} failed: ${name || (e instanceof Error ? e.message : String(e))}`, { uri });
}
