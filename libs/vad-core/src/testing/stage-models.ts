/**
 * Small ONNX models that honour each stage contract (model-format.md, "ONNX stage contracts"), so
 * the pipeline, server and packer tests exercise the real ONNX paths without 730 MB of networks.
 * Each output depends on the inputs in a way a test can recompute in a few lines of JS; the
 * formulas are in each builder's comment. All H, W (and N, M) axes are dynamic. One file per
 * stand-in stage under stage-models/, plus the broken models for the contract checks.
 */
export * from './stage-models/regions';
export * from './stage-models/flow';
export * from './stage-models/pose';
export * from './stage-models/appearance';
export * from './stage-models/faults';
