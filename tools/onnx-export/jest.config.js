module.exports = {
  ...require('../../jest.preset.js'),
  displayName: 'onnx-export',
  rootDir: __dirname,
  testMatch: ['<rootDir>/**/*.spec.ts'],
  testTimeout: 120000,
};
