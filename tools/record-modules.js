// `node -r ./tools/record-modules.js …`: when the process exits, writes the paths of every module it
// loaded (require.cache) as JSON to $VAD_MODULE_LOG. The deployer's start-up test and bench use it
// to see which heavy native modules (onnxruntime-node, sharp) a command pulls in.
const { writeFileSync } = require('node:fs');
const out = process.env.VAD_MODULE_LOG;
if (out) {
  process.on('exit', () => {
    writeFileSync(out, JSON.stringify(Object.keys(require.cache)));
  });
}
