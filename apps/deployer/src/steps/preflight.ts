import { ResourceLimitError } from '@vad/sagemaker-client';
import { preflightArchive } from '../artifact';
import type { DeployStep } from './types';
import { plannedCall } from './types';

/** `preflight`: the archive unpacks safely and verifies; on AWS the instance quota suffices. */
export const preflightStep: DeployStep<'preflight'> = {
  id: 'preflight',
  plan: ({ config, aws, artifact }) => ({
    title: aws ? 'archive layout and links; instance quota' : 'archive layout and links',
    calls: [
      plannedCall('local', 'inspectModel', { archive: artifact.path }),
      ...(aws
        ? [
            plannedCall('service-quotas', 'ListServiceQuotas', {
              ServiceCode: 'sagemaker',
              QuotaName: `${config.aws.instanceType} for endpoint usage`,
              needed: config.aws.instanceCount,
            }),
          ]
        : []),
    ],
  }),
  async run({ config, aws, artifact, report }) {
    const inspected = await preflightArchive(artifact.path);
    report.note(`archive ok: ${inspected.name}, ${inspected.files.length} files, attributes ${inspected.attributes.join(', ')}`);
    if (config.target !== 'aws') return;
    const q = await aws!.instanceQuota(config.aws.instanceType);
    if (q.value !== undefined && q.value < config.aws.instanceCount) {
      throw new ResourceLimitError(
        `the account's quota "${q.quotaName}" is ${q.value}, this deploy needs ${config.aws.instanceCount}; request an increase in Service Quotas or pick another aws.instanceType`,
        { quotaName: q.quotaName, quotaValue: q.value, requested: config.aws.instanceCount },
      );
    }
    report.note(q.value !== undefined ? `quota "${q.quotaName}": ${q.value} ≥ ${config.aws.instanceCount}` : `quota not checked: ${q.note ?? 'unknown'}`);
  },
};
