import { DeployConfigSchema } from '@vad/contracts';
import { imageStep } from './image';

/** `plan` says which builder `deploy --build-image` will run: the daemonless one names no docker call. */
describe('image step plan', () => {
  const config = DeployConfigSchema.parse({
    target: 'aws',
    name: 'vad-test',
    aws: {
      region: 'us-east-1',
      instanceType: 'ml.m5.large',
      image: { build: { repository: 'vad-serve', context: '.', dockerfile: 'apps/server/Dockerfile' } },
    },
  });
  const planWith = (builder: string) => {
    const saved = process.env.VAD_IMAGE_BUILDER;
    process.env.VAD_IMAGE_BUILDER = builder;
    try {
      return imageStep.plan({ config, aws: {} as never, tags: {} } as never);
    } finally {
      if (saved === undefined) delete process.env.VAD_IMAGE_BUILDER;
      else process.env.VAD_IMAGE_BUILDER = saved;
    }
  };

  it('daemonless: the image-builder build (system packages layer included) and registry push, no docker call', () => {
    const p = planWith('daemonless');
    expect(p.title).toBe('build the cpu image (ml.m5.large) without Docker (daemonless builder) + push to ECR');
    expect(p.calls.map((c) => `${c.service} ${c.operation}`)).toEqual([
      'ecr CreateRepository',
      'ecr GetAuthorizationToken',
      'image-builder build',
      'image-builder push',
      'ecr DescribeImages',
    ]);
    expect(p.calls[2]!.input).toMatchObject({
      variant: 'cpu',
      base: 'debian:bookworm-slim',
      systemPackages: ['ffmpeg', 'fontconfig', 'fonts-dejavu-core', 'ca-certificates'],
    });
  });

  it('docker: docker build and push', () => {
    const p = planWith('docker');
    expect(p.title).toBe('build the cpu image (ml.m5.large) with docker buildx build + push to ECR');
    expect(p.calls.filter((c) => c.service === 'docker').map((c) => c.operation)).toEqual(['build', 'push']);
  });
});
