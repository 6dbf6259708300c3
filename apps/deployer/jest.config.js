// Control-plane specs run against aws-sdk-client-mock (there is no local SageMaker control-plane
// server); the local-target e2e spec starts real server processes on loopback.
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'deployer',
  rootDir: __dirname,
  testTimeout: 120000,
};
