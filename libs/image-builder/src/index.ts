export {
  APP_DIR,
  BASE_IMAGES,
  BASE_PACKAGES,
  imagePlan,
  runtimePackages,
  variantForInstanceType,
  type ImagePlan,
  type PlannedLayer,
  type RuntimePackage,
  type Variant,
} from './plan';
export { renderDockerfile } from './dockerfile';
export { LAYER_MTIME, tarLayer, type BuiltLayer } from './layer';
export { buildLayers, runOrtCudaInstaller, type BuildLayersOptions } from './build-layers';
export { assembleImage, pushImage, type AssembledImage, type PushResult } from './image';
export { MEDIA, parseImageRef, RegistryClient, type Descriptor, type ImageManifest, type ImageRef, type RegistryAuth } from './registry';
export { buildAndPushImage, type BuildAndPushOptions, type BuildAndPushResult } from './build-image';
export { ImageBuildError, RegistryError } from './errors';
