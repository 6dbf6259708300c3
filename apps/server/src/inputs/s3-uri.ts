import { VadError } from '@vad/contracts';

/** An s3:// URI parsed once and checked: the bucket and key every later step uses. */
export interface S3Location {
  bucket: string;
  key: string;
}

/** S3's limit on a key, in UTF-8 bytes. */
export const MAX_KEY_BYTES = 1024;

const BUCKET_CHARS = /^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;
// Control characters have no place in a frame's key, and some stores strip or mangle them.
const CONTROL = /[\x00-\x1f\x7f]/;
// Percent-encoded separators and dots: the SDK sends `%` literally (as %25), but a store or proxy
// that decodes twice would see a path separator or a dot segment the allow-list never saw.
const ENCODED_SEPARATOR = /%(2f|5c|2e)/i;

function refuse(uri: string, why: string): never {
  throw new VadError('bad_request', `${JSON.stringify(uri.length > 200 ? `${uri.slice(0, 200)}…` : uri)} is not an acceptable s3://bucket/key URI: ${why}`, {
    uri: uri.slice(0, 200),
  });
}

/** Bucket names per AWS's general-purpose bucket rules; null when the name is fine. */
export function bucketNameProblem(bucket: string): string | null {
  if (!BUCKET_CHARS.test(bucket)) return 'a bucket name is 3–63 characters of a–z, 0–9, "." and "-", starting and ending with a letter or digit';
  if (bucket.includes('..') || bucket.includes('.-') || bucket.includes('-.')) return 'a bucket name has no ".." and no "." next to "-"';
  if (IPV4.test(bucket)) return 'a bucket name is not an IP address';
  if (/^(xn--|sthree-|amzn-s3-demo-)/.test(bucket) || /(-s3alias|--ol-s3|\.mrap|--x-s3)$/.test(bucket))
    return 'the bucket name uses a prefix or suffix AWS reserves';
  return null;
}

/**
 * Parses and normalises `s3://bucket/key` once. A key is refused when a store could resolve it to
 * another object than the one named — dot segments (`a/../b`, which S3-compatible stores and
 * path-style proxies resolve, escaping VAD_S3_ALLOWED_BUCKETS), empty segments, backslashes,
 * percent-encoded separators — or when S3 itself would refuse it (over 1024 bytes).
 */
export function parseS3Uri(uri: string): S3Location {
  if (!uri.startsWith('s3://')) refuse(uri, 'it does not start with s3://');
  const rest = uri.slice('s3://'.length);
  const slash = rest.indexOf('/');
  if (slash < 0) refuse(uri, 'it names a bucket but no key');
  const bucket = rest.slice(0, slash);
  const key = rest.slice(slash + 1);
  const bucketProblem = bucketNameProblem(bucket);
  if (bucketProblem) refuse(uri, bucketProblem);
  if (key.length === 0) refuse(uri, 'the key is empty');
  if (Buffer.byteLength(key, 'utf8') > MAX_KEY_BYTES) refuse(uri, `the key is over ${MAX_KEY_BYTES} bytes, S3's limit`);
  if (CONTROL.test(key)) refuse(uri, 'the key holds control characters');
  if (key.includes('\\')) refuse(uri, 'the key holds a backslash');
  if (ENCODED_SEPARATOR.test(key)) refuse(uri, 'the key holds a percent-encoded "/", "\\" or "."');
  for (const segment of key.split('/')) {
    if (segment === '') refuse(uri, 'the key has an empty segment ("//", or a leading or trailing "/")');
    if (segment === '.' || segment === '..') refuse(uri, 'the key has a "." or ".." segment');
  }
  return { bucket, key };
}
