import type { S3Client } from '@aws-sdk/client-s3';
import { ValidationError } from '../errors';
import { mapAwsError } from './map-error';
import { s3Sdk } from './sdk';

const S3_PREFIX_URI = /^s3:\/\/([^/]+)\/?(.*)$/;

/**
 * The object keys under an `s3://bucket/prefix` (folder markers left out), at most `max` of them:
 * what a Batch Transform job over that prefix will send, one object per record.
 */
export async function listS3Keys(client: S3Client, s3Uri: string, max = 10_000): Promise<{ keys: string[]; truncated: boolean }> {
  const m = S3_PREFIX_URI.exec(s3Uri);
  if (!m) throw new ValidationError(`${s3Uri} is not an s3://bucket/prefix URI`);
  const [, bucket, prefix] = m as unknown as [string, string, string];
  const keys: string[] = [];
  let token: string | undefined;
  let more = false;
  try {
    // Full pages (S3's own 1000 keys), cut here: s3rver answers 500 to a page cut short by MaxKeys.
    do {
      const page = await client.send(
        new (s3Sdk().ListObjectsV2Command)({ Bucket: bucket, ...(prefix ? { Prefix: prefix } : {}), ...(token ? { ContinuationToken: token } : {}) }),
      );
      for (const o of page.Contents ?? []) if (o.Key && !o.Key.endsWith('/')) keys.push(o.Key);
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token && keys.length < max);
  } catch (e) {
    throw mapAwsError(e, { resourceKind: 's3-object', resourceName: s3Uri });
  }
  if (keys.length > max) more = true;
  return { keys: keys.slice(0, max), truncated: more || token !== undefined };
}
