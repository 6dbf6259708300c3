import { VadError } from '@vad/contracts';
import type { S3Client } from '@aws-sdk/client-s3';
import { ByteBudget } from './byte-budget';
import type { FrameSource } from './frames';
import { parseS3Uri } from './s3-uri';

export interface S3FetchOptions {
  /** VAD_S3_ALLOWED_BUCKETS; undefined: any bucket the server's credentials can read. */
  allowedBuckets?: string[];
  /** VAD_S3_ENDPOINT or AWS_ENDPOINT_URL_S3 (s3rver, MinIO, a VPC endpoint). */
  endpoint?: string;
  /** VAD_S3_FORCE_PATH_STYLE; undefined: path-style with a custom endpoint, virtual-hosted with AWS's. */
  forcePathStyle?: boolean;
  region: string;
  concurrency: number;
  maxObjectBytes: number;
  /** VAD_S3_MAX_REQUEST_MB: S3 bytes one request may download. */
  maxRequestBytes?: number;
  /** VAD_S3_MAX_INFLIGHT_MB: S3 bytes being downloaded by all requests together. */
  maxInflightBytes?: number;
  /** Defaults to the SDK's provider chain (the SageMaker execution role in production). */
  credentials?: { accessKeyId: string; secretAccessKey: string };
  /** Tests: the SDK's HTTP handler (e.g. one resolving virtual-hosted names to loopback). */
  requestHandler?: unknown;
}

export { parseS3Uri };

/** Bytes one request reserved: against its own budget, and its share of the process's. */
interface DownloadLease {
  request: ByteBudget;
  process: number;
}

const MB = 1024 * 1024;
const DEFAULT_MAX_REQUEST_BYTES = 256 * MB;
const DEFAULT_MAX_INFLIGHT_BYTES = 512 * MB;

/**
 * Frames given as s3:// URIs (the original tutorial's request), fetched by the server with its own
 * credentials, in parallel with bounded concurrency; the first failure cancels the rest.
 */
export class S3FrameFetcher {
  private client: S3Client | undefined;
  private readonly inflight: ByteBudget;

  constructor(private readonly opts: S3FetchOptions) {
    this.inflight = new ByteBudget(opts.maxInflightBytes ?? DEFAULT_MAX_INFLIGHT_BYTES);
  }

  // The SDK loads on the first s3:// frame, not at start-up: it costs ~100 ms of the 250 ms in
  // which SageMaker wants the socket accepting, and many deployments never use it.
  private async s3(): Promise<{ client: S3Client; GetObjectCommand: typeof import('@aws-sdk/client-s3').GetObjectCommand }> {
    const { S3Client, GetObjectCommand } = await import('@aws-sdk/client-s3');
    this.client ??= new S3Client({
      region: this.opts.region,
      endpoint: this.opts.endpoint,
      forcePathStyle: this.opts.forcePathStyle ?? this.opts.endpoint !== undefined,
      requestHandler: this.opts.requestHandler as never,
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
        throw new VadError('s3_forbidden', `bucket ${bucket} is not in VAD_S3_ALLOWED_BUCKETS`, { uri: s.uri });
      }
    }
  }

  /**
   * One object, refused before its body is read when its ContentLength is over the object limit
   * or the request's or process's byte budget, and cut off mid-stream if it grows past what it
   * declared (a store that sends no length, or lies).
   */
  private async fetchOne(uri: string, signal: AbortSignal, lease: DownloadLease): Promise<Uint8Array> {
    const { bucket, key } = parseS3Uri(uri);
    const reserve = (bytes: number): void => {
      if (!lease.request.tryReserve(bytes)) {
        throw new VadError(
          'payload_too_large',
          `the request's S3 frames total over ${lease.request.limit} bytes (VAD_S3_MAX_REQUEST_MB); send fewer or smaller frames`,
          { uri, max: lease.request.limit },
        );
      }
      if (!this.inflight.tryReserve(bytes)) {
        throw new VadError(
          'overloaded',
          `the server holds over ${this.inflight.limit} bytes of S3 frames for other requests (VAD_S3_MAX_INFLIGHT_MB); retry with backoff`,
          { uri },
        );
      }
      lease.process += bytes;
    };
    let body: (AsyncIterable<Uint8Array> & { destroy?: () => void }) | undefined;
    try {
      const { client, GetObjectCommand } = await this.s3();
      const out = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal: signal });
      body = out.Body as typeof body;
      if (!body) throw new VadError('s3_not_found', `${uri} has no body`, { uri });
      const max = this.opts.maxObjectBytes;
      if (out.ContentLength !== undefined && out.ContentLength > max) {
        throw new VadError('payload_too_large', `${uri} is ${out.ContentLength} bytes, over VAD_S3_MAX_OBJECT_MB (${max} bytes)`, {
          uri,
          bytes: out.ContentLength,
          max,
        });
      }
      if (out.ContentLength !== undefined) reserve(out.ContentLength);
      const chunks: Uint8Array[] = [];
      let total = 0;
      for await (const chunk of body) {
        total += chunk.byteLength;
        if (total > max) throw new VadError('payload_too_large', `${uri} is over VAD_S3_MAX_OBJECT_MB (${max} bytes)`, { uri, max });
        if (out.ContentLength === undefined || total > out.ContentLength) reserve(chunk.byteLength);
        chunks.push(chunk);
      }
      return chunks.length === 1 ? chunks[0]! : new Uint8Array(Buffer.concat(chunks));
    } catch (e) {
      // The socket goes, not the rest of a body we will not use.
      body?.destroy?.();
      throw mapS3Error(e, uri);
    }
  }

  /** A request's share of the budgets; its process share is given back when resolve() ends. */
  private lease(): DownloadLease {
    return { request: new ByteBudget(this.opts.maxRequestBytes ?? DEFAULT_MAX_REQUEST_BYTES), process: 0 };
  }

  /** All S3 sources resolved to bytes, in place order; byte sources pass through. */
  async resolve(sources: FrameSource[], signal?: AbortSignal): Promise<Uint8Array[]> {
    this.checkAllowed(sources);
    const lease = this.lease();
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
        out[i] = await this.fetchOne((sources[i] as { uri: string }).uri, abort.signal, lease);
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(this.opts.concurrency, pending.length) }, lane));
    } catch (e) {
      abort.abort();
      if (signal?.aborted) throw new VadError('deadline_exceeded', 'the request ran past its deadline while fetching frames from S3');
      throw e;
    } finally {
      signal?.removeEventListener('abort', onOuterAbort);
      this.inflight.release(lease.process);
    }
    return out;
  }

  destroy(): void {
    this.client?.destroy();
  }
}

export function mapS3Error(e: unknown, uri: string): unknown {
  if (e instanceof VadError) return e;
  const name = (e as { name?: string })?.name ?? '';
  const status = (e as { $metadata?: { httpStatusCode?: number } })?.$metadata?.httpStatusCode;
  if (name === 'NoSuchKey' || name === 'NotFound' || name === 'NoSuchBucket' || status === 404) {
    return new VadError('s3_not_found', `${uri} does not exist (${name || status})`, { uri });
  }
  if (name === 'AccessDenied' || name === 'Forbidden' || name === 'AllAccessDisabled' || status === 403) {
    return new VadError('s3_forbidden', `the server's credentials may not read ${uri} (${name || status})`, { uri });
  }
  if (name === 'AbortError') return new VadError('deadline_exceeded', `fetching ${uri} ran past the request deadline`, { uri });
  // Any other answer of the store (a key it will not take, a bad request, throttling) is about
  // this URI, not a fault of the server.
  if (typeof status === 'number') {
    return new VadError('s3_rejected', `S3 refused ${uri}: ${name || status} (HTTP ${status})`, { uri, s3Status: status, s3Code: name || undefined });
  }
  return new VadError('internal', `fetching ${uri} failed: ${name || (e instanceof Error ? e.message : String(e))}`, { uri });
}
