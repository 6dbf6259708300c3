// Runs the repo's TypeScript entry points directly (CLIs, scripts, benches) with the workspace's
// path aliases, so no build step stands between a user and `nx run vad-core:golden`.
process.env.SWC_NODE_PROJECT = process.env.SWC_NODE_PROJECT || require('node:path').join(__dirname, '..', 'tsconfig.base.json');
require('@swc-node/register');
