import type { ImageSource } from '@vad/contracts';
import { BASE_IMAGES, BASE_PACKAGES, variantForInstanceType } from '@vad/image-builder';
import { wantsDaemonless, type ResolvedImage } from '@vad/sagemaker-client';
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
    const repository = plannedCall('ecr', 'CreateRepository', { repositoryName: image?.build.repository, imageTagMutability: 'IMMUTABLE', tags });
    const pinned = plannedCall('ecr', 'DescribeImages', { check: 'manifest is Docker v2, not OCI' });
    // The same choice the build makes (VAD_IMAGE_BUILDER, else Docker when `docker` is on PATH): plan says what will run.
    if (wantsDaemonless())
      return {
        title: `build the ${variant} image (${config.aws.instanceType}) without Docker (daemonless builder) + push to ECR`,
        calls: [
          repository,
          plannedCall('ecr', 'GetAuthorizationToken'),
          plannedCall('image-builder', 'build', {
            variant,
            base: process.env.VAD_IMAGE_BASE ?? BASE_IMAGES[variant],
            context: image?.build.context,
            layers: ['system-packages (only what the base lacks)', 'node', 'runtime-modules', 'server', 'entrypoint'],
            systemPackages: BASE_PACKAGES,
            aptMirror: process.env.VAD_APT_MIRROR ?? "the base distribution's (deb.debian.org / archive.ubuntu.com)",
          }),
          plannedCall('image-builder', 'push', { api: 'Registry HTTP API v2', sends: 'the blobs the repository lacks, then the manifest' }),
          pinned,
        ],
      };
    return {
      title: `build the ${variant} image (${config.aws.instanceType}) with docker buildx build + push to ECR`,
      calls: [
        plannedCall('docker', 'build', { provenance: false, dockerfile: image?.build.dockerfile, context: image?.build.context, variant }),
        repository,
        plannedCall('ecr', 'GetAuthorizationToken'),
        plannedCall('docker', 'push'),
        pinned,
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
