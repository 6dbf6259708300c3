import { isAlreadyExists } from '@vad/sagemaker-client';
import { modelSpec } from '../specs';
import type { DeployStep } from './types';
import { plannedCall } from './types';

/** `create-model`: CreateModel with the digest-pinned image and the archive's URL. */
export const createModelStep: DeployStep<'create-model'> = {
  id: 'create-model',
  plan: ({ config, names, modelDataUrl, plannedImageUri, tags, controlPlane }) => ({
    title: `model ${names.modelName}`,
    calls: [plannedCall(controlPlane, 'CreateModel', modelSpec(config, names, modelDataUrl, plannedImageUri, tags))],
  }),
  async run({ config, target, names, tags, outputs, modelDataUrl }) {
    const spec = modelSpec(config, names, modelDataUrl()!, outputs.imageUri, tags);
    try {
      outputs.modelArn = (await target.createModel(spec)).modelArn;
    } catch (e) {
      // Created before a crash that lost the state write: the name is ours (fingerprint + stamp).
      if (!isAlreadyExists(e)) throw e;
      outputs.modelArn = (await target.describeModel(names.modelName)).modelArn;
    }
    outputs.modelName = names.modelName;
    return outputs.modelArn;
  },
};
