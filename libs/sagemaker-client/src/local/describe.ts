import { DEFAULT_VARIANT_NAME } from '../rules';
import type { EndpointDescription } from '../target';
import type { LocalEndpointRecord, LocalState } from './state';

/**
 * Describe mapping: a recorded endpoint → DescribeEndpoint's shape (status, variant, deployed
 * image, instance counts, the pending instance's progress). `launch` is the server command line,
 * shown as the resolved image.
 */
export function toDescription(e: LocalEndpointRecord, s: LocalState, launch: string | undefined): EndpointDescription {
  const serving = e.current ?? e.pending;
  const config = s.endpointConfigs[e.endpointConfigName];
  const variantName = serving?.variantName ?? config?.variants[0]?.variantName ?? DEFAULT_VARIANT_NAME;
  const model = serving ? s.models[serving.modelName] : undefined;
  return {
    endpointName: e.endpointName,
    endpointArn: e.endpointArn,
    endpointConfigName: e.endpointConfigName,
    status: e.status,
    failureReason: e.failureReason,
    creationTime: new Date(e.creationTime),
    lastModifiedTime: new Date(e.lastModifiedTime),
    pendingEndpointConfigName: e.pending && e.status === 'Updating' ? e.pending.endpointConfigName : undefined,
    // The front's port stays across updates; records from before fronts name the instance's.
    url: e.current ? `http://127.0.0.1:${e.front?.port ?? e.current.port}` : undefined,
    owner: e.owner,
    variants: [
      {
        variantName,
        deployedImages: serving ? [{ specifiedImage: model?.image ?? 'local:apps/server', resolvedImage: launch }] : [],
        currentInstanceCount: e.current ? 1 : 0,
        desiredInstanceCount: 1,
        currentWeight: 1,
        desiredWeight: 1,
        variantStatus: e.pending
          ? [
              {
                status: e.status === 'Updating' ? 'Updating' : 'Creating',
                statusMessage: `server pid ${e.pending.pid} on port ${e.pending.port}, waiting for /ping`,
                startTime: new Date(e.pending.startedAt),
              },
            ]
          : [],
      },
    ],
  };
}
