import { modelKey } from '../naming';
import type { DeployStep } from './types';
import { plannedCall } from './types';

/** `upload`: model.tar.gz to S3 under its digest (skipped when that object is already there). */
export const uploadStep: DeployStep<'upload'> = {
  id: 'upload',
  plan: ({ config, aws, artifact, tags, modelDataUrl }) => {
    if (!aws) return { title: 'upload', calls: [], skip: 'local target: the server reads the archive from disk' };
    const a = config.aws;
    const key = modelKey(a.prefix, artifact.sha256);
    return {
      title: `upload to ${modelDataUrl}`,
      calls: [
        plannedCall('s3', 'HeadObject', { Bucket: a.bucket, Key: key }),
        plannedCall('s3', 'Upload (multipart)', { Bucket: a.bucket, Key: key, bytes: artifact.bytes, Tagging: tags }),
      ],
    };
  },
  async run({ config, aws, artifact, tags, report, outputs }) {
    const a = config.aws;
    const r = await aws!.uploadModel({
      file: artifact.path,
      bucket: a.bucket!,
      key: modelKey(a.prefix, artifact.sha256),
      sha256: artifact.sha256,
      bytes: artifact.bytes,
      tags,
      onProgress: (d, t) => report.bytes(d, t),
    });
    outputs.modelDataUrl = r.s3Uri;
    return r.uploaded ? r.s3Uri : `${r.s3Uri} (already there)`;
  },
};
