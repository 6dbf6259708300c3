module.exports = { ...require('../../jest.preset.js'), displayName: 'vad-core', rootDir: __dirname, testTimeout: 60000 };
