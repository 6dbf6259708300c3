import type { ImageSource } from '@vad/contracts';
import { variantForInstanceType } from '@vad/image-builder';
import type { ResolvedImage } from '@vad/sagemaker-client';
import type { DeployStep, RunContext } from './types';
import { plannedCall } from './types';

/**
 * `image`: the container image CreateModel gets, pinned to its digest (a tag can move; the
 * digest is what the verify step compares against). The one seam for how an image is obtained is
 * `resolveContainerImage`: a given URI is pinned, a `build` source is built and pushed — another
 * image builder plugs in there and nowhere else.
 */
export type ImageResolver = (source: ImageSource, ctx: Pick<RunContext, 'aws' | 'tags' | 'report' | 'config'>) => Promise<ResolvedImage>;

// The instance type picks the variant a build makes (ml.g*/ml.p* → gpu, else cpu); the services
// build with Docker when an engine is there, else with @vad/image-builder (daemonless-image.ts).
export const resolveContainerImage: ImageResolver = (source, { aws, tags, report, config }) =>
  aws!.resolveImage(source, { tags, instanceType: config.aws.instanceType, onNote: (l) => report.note(l), onBytes: (d, t) => report.bytes(d, t) });

export const imageStep: DeployStep<'image'> = {
  id: 'image',
  plan: ({ config, aws, tags }) => {
    const image = config.aws.image;
    if (!aws) return { title: 'image', calls: [], skip: 'local target: the server runs from this workspace (no Docker)' };
    if (image && 'uri' in image)
      return {
        title: `pin ${image.uri} to its digest`,
        calls: [plannedCall('ecr', 'DescribeImages', { imageUri: image.uri, check: 'manifest is Docker v2, not OCI' })],
      };
    const variant = variantForInstanceType(config.aws.instanceType);
    return {
      title: `build the ${variant} image (${config.aws.instanceType}; docker build, or the daemonless builder without a Docker engine) + push to ECR`,
      calls: [
        plannedCall('docker', 'build', { provenance: false, dockerfile: image?.build.dockerfile, context: image?.build.context, variant }),
        plannedCall('ecr', 'CreateRepository', { repositoryName: image?.build.repository, imageTagMutability: 'IMMUTABLE', tags }),
        plannedCall('ecr', 'GetAuthorizationToken'),
        plannedCall('docker', 'push'),
        plannedCall('ecr', 'DescribeImages', { check: 'manifest is Docker v2, not OCI' }),
      ],
    };
  },
  async run(ctx) {
    const r = await resolveContainerImage(ctx.config.aws.image!, ctx);
    ctx.outputs.imageUri = r.uri;
    return r.uri;
  },
};

/** The image URI `plan` shows for CreateModel: the digest is only known once the image step ran. */
export function plannedImageUri(source: ImageSource | undefined, region: string | undefined): string | undefined {
  if (!source) return undefined;
  return 'uri' in source
    ? source.uri.replace(/:[\w.-]+$/, '@sha256:<digest>')
    : `<account>.dkr.ecr.${region}.amazonaws.com/${source.build.repository}@sha256:<digest>`;
}
