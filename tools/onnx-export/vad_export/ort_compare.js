#!/usr/bin/env node
// Replays check cases (see cases.py) through onnxruntime-node and prints one JSON line per case:
// {"stage", "ok", "outputs": {name: {"shape", "expectedShape", "maxAbsDiff", "tolerance"}}}.
// Used by `python3 -m vad_export --check` where Python has no onnxruntime (Debian ships none).
'use strict';
const fs = require('node:fs');
const path = require('node:path');

function loadOrt() {
  const tries = [process.env.VAD_ORT_MODULE, 'onnxruntime-node', path.resolve(__dirname, '../../../node_modules/onnxruntime-node')];
  for (const t of tries.filter(Boolean)) {
    try {
      return require(t);
    } catch {
      /* next */
    }
  }
  throw new Error('onnxruntime-node not found (npm install in the repo root, or set VAD_ORT_MODULE)');
}

const ARRAYS = { float32: Float32Array, int64: BigInt64Array };

function readArray(dir, spec) {
  const buf = fs.readFileSync(path.join(dir, spec.file));
  const Ctor = ARRAYS[spec.dtype];
  const copy = new Uint8Array(buf.byteLength);
  copy.set(buf);
  return new Ctor(copy.buffer, 0, copy.byteLength / Ctor.BYTES_PER_ELEMENT);
}

async function replay(ort, casePath) {
  const dir = path.dirname(casePath);
  const c = JSON.parse(fs.readFileSync(casePath, 'utf8'));
  const session = await ort.InferenceSession.create(path.join(dir, c.model), { intraOpNumThreads: 2, graphOptimizationLevel: 'all' });
  const feeds = {};
  for (const [name, spec] of Object.entries(c.inputs)) feeds[name] = new ort.Tensor(spec.dtype, readArray(dir, spec), spec.shape);
  const t0 = Date.now();
  const out = await session.run(feeds);
  const ms = Date.now() - t0;
  const report = { stage: c.stage, ok: true, ms, outputs: {} };
  for (const [name, spec] of Object.entries(c.expected)) {
    const got = out[name];
    const expected = readArray(dir, spec);
    const r = { shape: got ? [...got.dims] : null, expectedShape: spec.shape, maxAbsDiff: null, tolerance: c.tolerance[name] };
    if (got && r.shape.join(',') === spec.shape.join(',')) {
      let m = 0;
      for (let i = 0; i < expected.length; i++) m = Math.max(m, Math.abs(Number(got.data[i]) - Number(expected[i])));
      r.maxAbsDiff = m;
    }
    if (r.maxAbsDiff === null || r.maxAbsDiff > r.tolerance) report.ok = false;
    report.outputs[name] = r;
  }
  await session.release();
  return report;
}

(async () => {
  const ort = loadOrt();
  let ok = true;
  for (const p of process.argv.slice(2)) {
    const r = await replay(ort, p);
    ok = ok && r.ok;
    process.stdout.write(JSON.stringify(r) + '\n');
  }
  process.exit(ok ? 0 : 1);
})().catch((e) => {
  process.stderr.write(String(e && e.stack ? e.stack : e) + '\n');
  process.exit(2);
});
