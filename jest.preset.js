// Shared jest settings: @swc/jest transpiles TypeScript (type-checking is the `typecheck` target's
// job), and the @vad/* aliases resolve to sources so tests never need a prior build.
const path = require('node:path');
const root = __dirname;

module.exports = {
  // onnxruntime-node builds output arrays in Node's main realm; this environment shares the main
  // realm's typed-array constructors with every test so its instanceof checks pass.
  testEnvironment: path.join(root, 'libs/vad-core/src/testing/onnx-jest-environment.js'),
  transform: {
    '^.+\\.ts$': ['@swc/jest', { jsc: { parser: { syntax: 'typescript' }, target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  moduleFileExtensions: ['ts', 'js', 'json'],
  moduleNameMapper: {
    '^@vad/contracts$': path.join(root, 'libs/contracts/src/index.ts'),
    '^@vad/core$': path.join(root, 'libs/vad-core/src/index.ts'),
    '^@vad/artifacts$': path.join(root, 'libs/artifacts/src/index.ts'),
    '^@vad/image-builder$': path.join(root, 'libs/image-builder/src/index.ts'),
    '^@vad/sagemaker-client$': path.join(root, 'libs/sagemaker-client/src/index.ts'),
    '^@vad/core/testing$': path.join(root, 'libs/vad-core/src/testing/index.ts'),
  },
  testMatch: ['**/*.spec.ts'],
};
