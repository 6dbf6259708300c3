module.exports = { ...require('../../jest.preset.js'), displayName: 'image-builder', rootDir: __dirname, testTimeout: 300000 };
