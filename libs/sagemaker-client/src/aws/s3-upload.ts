import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { NotFoundError, ValidationError } from '../errors';
import { mapAwsError } from './map-error';
import { s3Sdk, storageSdk } from './sdk';

export interface UploadProgress {
  loaded: number;
  total: number;
  part?: number;
}

export interface UploadArtifactOptions {
  client: S3Client;
  bucket: string;
  /** Key prefix, e.g. `vad-serve/models`; the key becomes `<prefix>/<sha256>/<fileName>`. */
  prefix?: string;
  file: string;
  /** Name of the object under its digest folder (default `model.tar.gz`). */
  fileName?: string;
  /** Multipart part size (S3 minimum 5 MiB; lib-storage default 5 MiB). */
  partSize?: number;
  queueSize?: number;
  contentType?: string;
  tags?: Record<string, string>;
  onProgress?: (p: UploadProgress) => void;
  abortSignal?: AbortSignal;
}

export interface UploadArtifactResult {
  bucket: string;
  key: string;
  uri: string;
  sha256: string;
  bytes: number;
  /** True when an object with this digest was already there (re-runs change nothing). */
  skipped: boolean;
}

export async function sha256OfFile(path: string): Promise<string> {
  const h = createHash('sha256');
  for await (const chunk of createReadStream(path)) h.update(chunk as Buffer);
  return h.digest('hex');
}

/**
 * Uploads a model.tar.gz with @aws-sdk/lib-storage (multipart above partSize, parts in parallel,
 * progress events) under a key that carries its sha256: the same artifact always lands on the
 * same key, so a re-run finds it and skips the upload, and a ModelDataUrl names its content.
 */
export async function uploadArtifact(o: UploadArtifactOptions): Promise<UploadArtifactResult> {
  let bytes: number;
  try {
    const s = await stat(o.file);
    if (!s.isFile()) throw new Error('not a file');
    bytes = s.size;
  } catch {
    throw new ValidationError(`${o.file} does not exist or is not a file`);
  }
  const sha256 = await sha256OfFile(o.file);
  const prefix = (o.prefix ?? '').replace(/^\/+|\/+$/g, '');
  const key = `${prefix ? `${prefix}/` : ''}${sha256}/${o.fileName ?? 'model.tar.gz'}`;
  const uri = `s3://${o.bucket}/${key}`;

  try {
    const head = await o.client.send(new (s3Sdk().HeadObjectCommand)({ Bucket: o.bucket, Key: key }));
    if (head.ContentLength === bytes && (head.Metadata?.['sha256'] ?? sha256) === sha256) {
      o.onProgress?.({ loaded: bytes, total: bytes });
      return { bucket: o.bucket, key, uri, sha256, bytes, skipped: true };
    }
  } catch (e) {
    const mapped = mapAwsError(e, { resourceKind: 's3-object', resourceName: uri });
    if (!(mapped instanceof NotFoundError)) throw mapped;
  }

  const upload = new (storageSdk().Upload)({
    client: o.client,
    params: {
      Bucket: o.bucket,
      Key: key,
      Body: createReadStream(o.file),
      ContentLength: bytes,
      ContentType: o.contentType ?? 'application/gzip',
      Metadata: { sha256 },
    },
    partSize: o.partSize,
    queueSize: o.queueSize ?? 4,
    leavePartsOnError: false,
    tags: o.tags ? Object.entries(o.tags).map(([Key, Value]) => ({ Key, Value })) : undefined,
  });
  const onAbort = (): void => void upload.abort();
  o.abortSignal?.addEventListener('abort', onAbort, { once: true });
  upload.on('httpUploadProgress', (p) => o.onProgress?.({ loaded: p.loaded ?? 0, total: p.total ?? bytes, part: p.part }));
  try {
    await upload.done();
  } catch (e) {
    throw mapAwsError(e, { resourceKind: 's3-object', resourceName: uri });
  } finally {
    o.abortSignal?.removeEventListener('abort', onAbort);
  }
  return { bucket: o.bucket, key, uri, sha256, bytes, skipped: false };
}
