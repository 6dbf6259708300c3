import { ListServiceQuotasCommand, type ServiceQuotasClient } from '@aws-sdk/client-service-quotas';
import { ResourceLimitError } from '../errors';
import { mapAwsError } from './map-error';

export interface QuotaCheck {
  quotaName: string;
  /** undefined when the quota was not found (unknown instance type or API not answering). */
  value?: number;
  requested: number;
  ok: boolean;
}

/**
 * Pre-flight: the account-level quota `<instanceType> for endpoint usage` (or `… for transform
 * job usage`) must allow `count` instances. GPU types often default to 0, which otherwise shows up
 * only as ResourceLimitExceeded at CreateEndpoint.
 */
export async function checkInstanceQuota(client: ServiceQuotasClient, instanceType: string, count: number, usage: 'endpoint' | 'transform job' = 'endpoint'): Promise<QuotaCheck> {
  const quotaName = `${instanceType} for ${usage} usage`;
  let NextToken: string | undefined;
  do {
    let o;
    try {
      o = await client.send(new ListServiceQuotasCommand({ ServiceCode: 'sagemaker', NextToken, MaxResults: 100 }));
    } catch (e) {
      throw mapAwsError(e, { resourceKind: 'service-quota', resourceName: quotaName });
    }
    const q = o.Quotas?.find((x) => x.QuotaName === quotaName);
    if (q) {
      const value = q.Value ?? 0;
      const check = { quotaName, value, requested: count, ok: value >= count };
      if (!check.ok) {
        throw new ResourceLimitError(
          `The account-level service limit '${quotaName}' is ${value} instances and ${count} ${count === 1 ? 'is' : 'are'} needed; request an increase in the Service Quotas console (SageMaker → "${quotaName}") or pick another instance type`,
          { quotaName, quotaValue: value, requested: count },
        );
      }
      return check;
    }
    NextToken = o.NextToken;
  } while (NextToken);
  return { quotaName, requested: count, ok: true };
}
