// Worker entry used when the server runs from TypeScript sources (jest, `node -r tools/ts-register.js`):
// worker threads do not inherit the main thread's require hooks, so register them here first.
'use strict';
const { workerData } = require('node:worker_threads');
require('../../../../tools/ts-register.js');
module.exports = require(workerData.tsEntry);
