// jest runs each test file in its own vm realm with its own Float32Array & co, but
// onnxruntime-node's native binding creates output arrays in Node's main realm, so
// onnxruntime-common's `instanceof Float32Array` check fails on every inference result
// ("A float32 tensor's data must be type of function Float32Array()"). Sharing the main realm's
// typed-array constructors with the test realm fixes it. Use it per file with
//   /** @jest-environment ./libs/vad-core/src/testing/onnx-jest-environment.js */
// or for a whole project as jest's `testEnvironment`.
const { TestEnvironment } = require('jest-environment-node');

const SHARED = [
  'ArrayBuffer',
  'SharedArrayBuffer',
  'DataView',
  'Int8Array',
  'Uint8Array',
  'Uint8ClampedArray',
  'Int16Array',
  'Uint16Array',
  'Int32Array',
  'Uint32Array',
  'Float32Array',
  'Float64Array',
  'BigInt64Array',
  'BigUint64Array',
];

class OnnxTestEnvironment extends TestEnvironment {
  constructor(config, context) {
    super(config, context);
    for (const name of SHARED) if (globalThis[name]) this.global[name] = globalThis[name];
  }
}

module.exports = OnnxTestEnvironment;
