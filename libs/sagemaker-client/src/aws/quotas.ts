import type { ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { ResourceLimitError } from '../errors';
import { mapAwsError } from './map-error';
import { quotasSdk } from './sdk';

export interface QuotaCheck {
  quotaName: string;
  /** undefined when the quota was not found (unknown instance type or API not answering). */
  value?: number;
  requested: number;
  ok: boolean;
}

/** The quota as data, for a pre-flight that reports rather than throws. */
export interface QuotaReading {
  quotaName: string;
  /** undefined when not listed for this account/region, or not readable (see `note`). */
  value?: number;
  note?: string;
}

/** The account's `<instanceType> for <usage> usage` quota; undefined when it is not listed. */
async function findQuota(client: ServiceQuotasClient, quotaName: string): Promise<number | undefined> {
  let NextToken: string | undefined;
  do {
    let o;
    try {
      o = await client.send(new (quotasSdk().ListServiceQuotasCommand)({ ServiceCode: 'sagemaker', NextToken, MaxResults: 100 }));
    } catch (e) {
      throw mapAwsError(e, { resourceKind: 'service-quota', resourceName: quotaName });
    }
    const q = o.Quotas?.find((x) => x.QuotaName === quotaName);
    if (q) return q.Value ?? 0;
    NextToken = o.NextToken;
  } while (NextToken);
  return undefined;
}

/** Reads the quota without judging it; Service Quotas not readable (no permission) is a note. */
export async function readInstanceQuota(
  client: ServiceQuotasClient,
  instanceType: string,
  usage: 'endpoint' | 'transform job' = 'endpoint',
): Promise<QuotaReading> {
  const quotaName = `${instanceType} for ${usage} usage`;
  try {
    const value = await findQuota(client, quotaName);
    return value === undefined ? { quotaName, note: 'quota not listed for this account/region' } : { quotaName, value };
  } catch (e) {
    return { quotaName, note: `Service Quotas not readable: ${(e as Error).message.split('\n')[0]}` };
  }
}

/**
 * Pre-flight: the account-level quota `<instanceType> for endpoint usage` (or `… for transform
 * job usage`) must allow `count` instances. GPU types often default to 0, which otherwise shows up
 * only as ResourceLimitExceeded at CreateEndpoint.
 */
export async function checkInstanceQuota(
  client: ServiceQuotasClient,
  instanceType: string,
  count: number,
  usage: 'endpoint' | 'transform job' = 'endpoint',
): Promise<QuotaCheck> {
  const quotaName = `${instanceType} for ${usage} usage`;
  const value = await findQuota(client, quotaName);
  if (value === undefined) return { quotaName, requested: count, ok: true };
  if (value < count) {
    throw new ResourceLimitError(
      `The account-level service limit '${quotaName}' is ${value} instances and ${count} ${count === 1 ? 'is' : 'are'} needed; request an increase in the Service Quotas console (SageMaker → "${quotaName}") or pick another instance type`,
      { quotaName, quotaValue: value, requested: count },
    );
  }
  return { quotaName, value, requested: count, ok: true };
}
