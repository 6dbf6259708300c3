export * from './api/errors';
export * from './api/request';
export * from './api/response';
export * from './config/ai-vad-config';
export * from './config/anomalib-layout';
export * from './model-format/manifest';
export * from './model-format/density-state';
export * from './deploy/index';
