module.exports = { ...require('../../jest.preset.js'), displayName: 'sagemaker-client', rootDir: __dirname, testTimeout: 180000 };
