export * from './golden-dir';
export * from './metrics';
export * from './synthetic-scene';
export * from './default-model-recipe';
export * from './stage-models';
export * from '../model/tiny-model';
export * from './write-frames';
export * from './onnx-stage-recipe';
export { buildOnnxModel, type GraphSpec } from '../runtime/onnx-graph';
