module.exports = { ...require('../../jest.preset.js'), displayName: 'default-model', rootDir: __dirname, testTimeout: 300000 };
