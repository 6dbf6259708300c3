import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { renderDockerfile } from './dockerfile';
import { BASE_IMAGES, imagePlan, runtimePackages, variantForInstanceType } from './plan';

const ROOT = join(__dirname, '../../..');

describe('layer plan', () => {
  it('GPU families get the CUDA image, everything else the CPU one', () => {
    expect(['ml.g5.xlarge', 'ml.g4dn.2xlarge', 'ml.g6e.xlarge', 'ml.p3.2xlarge', 'ml.p4d.24xlarge'].map(variantForInstanceType)).toEqual([
      'gpu',
      'gpu',
      'gpu',
      'gpu',
      'gpu',
    ]);
    expect(['ml.m5.large', 'ml.c5.xlarge', 'ml.t2.medium', 'ml.inf2.xlarge', 'ml.r6i.large'].map(variantForInstanceType)).toEqual([
      'cpu',
      'cpu',
      'cpu',
      'cpu',
      'cpu',
    ]);
  });

  it('the runtime packages are exactly what the server bundle keeps external, at the pinned versions', () => {
    const external = (JSON.parse(readFileSync(join(ROOT, 'apps/server/project.json'), 'utf8')) as { targets: { build: { options: { external: string[] } } } })
      .targets.build.options.external;
    const deps = (JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { dependencies: Record<string, string> }).dependencies;
    expect(runtimePackages(ROOT)).toEqual(external.map((name) => ({ name, version: deps[name] })));
  });

  it('cpu and gpu differ only in base and onnxruntime install; both carry the label, the non-root user and the serve entrypoint', () => {
    const cpu = imagePlan('cpu', ROOT);
    const gpu = imagePlan('gpu', ROOT);
    expect([cpu.baseImage, cpu.ortInstall, gpu.baseImage, gpu.ortInstall]).toEqual([BASE_IMAGES.cpu, 'skip', BASE_IMAGES.gpu, 'cuda12']);
    const { variant: _a, baseImage: _b, ortInstall: _c, ...restCpu } = cpu;
    const { variant: _d, baseImage: _e, ortInstall: _f, ...restGpu } = gpu;
    expect(restCpu).toEqual(restGpu);
    expect(gpu.labels['com.amazonaws.sagemaker.capabilities.accept-bind-to-port']).toBe('true');
    expect(gpu.user.uid).toBe(10001);
    expect([gpu.entrypoint, gpu.cmd]).toEqual([['/opt/vad/server/bin/serve'], ['serve']]);
  });

  it('apps/server/Dockerfile is the rendering of the plan (regenerate with `npx nx run image-builder:dockerfile`)', () => {
    const committed = readFileSync(join(ROOT, 'apps/server/Dockerfile'), 'utf8');
    expect(committed).toBe(renderDockerfile(imagePlan('gpu', ROOT)));
    // The plan's facts appear in the Dockerfile, so a change to the plan changes it.
    for (const p of runtimePackages(ROOT)) expect(committed).toContain(`${p.name}@${p.version}`);
    expect(committed).toContain('USER 10001:10001');
    expect(committed).toContain('LABEL com.amazonaws.sagemaker.capabilities.accept-bind-to-port=true');
    expect(committed).toContain(`--build-arg BASE_IMAGE=${BASE_IMAGES.cpu} --build-arg ORT_INSTALL=skip`);
  });
});
