// Unit specs sit beside the code (app.inject()); e2e specs in e2e/ spawn the real server over real
// sockets.
const preset = require('../../jest.preset.js');

module.exports = {
  ...preset,
  displayName: 'server',
  rootDir: __dirname,
  testTimeout: 120000,
  // fastify's inject() loads light-my-request, which requires cookie@2 — an ES module jest's
  // CommonJS runtime cannot require on Node 20 — so that one package is transpiled like our TS.
  transform: {
    ...preset.transform,
    '/node_modules/cookie/.+\\.js$': ['@swc/jest', { jsc: { target: 'es2022' }, module: { type: 'commonjs' } }],
  },
  transformIgnorePatterns: ['/node_modules/(?!cookie/)'],
};
