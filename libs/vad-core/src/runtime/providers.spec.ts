import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { VadError } from '../errors';
import { buildFlowModel } from '../testing/stage-models';
import { testProjection } from '../testing/stage-models';
import { describeProviders, openSession, openStageSession } from './providers';
import { rejection } from '../testing/vad-errors';

// The CPU image ships onnxruntime-node without its CUDA provider library; the GPU image adds it.
const cudaProviderInstalled = existsSync(
  join(dirname(require.resolve('onnxruntime-node/package.json')), 'bin/napi-v6/linux/x64/libonnxruntime_providers_cuda.so'),
);

describe('openSession', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(join(tmpdir(), 'vad-providers-'));
  });
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('loads from a path and labels the session with the file name', async () => {
    const file = join(dir, 'flow.onnx');
    writeFileSync(file, buildFlowModel());
    const { session, report } = await openStageSession('flow', file);
    expect(session.label).toBe('flow.onnx');
    expect(report).toEqual({ label: 'flow.onnx', requested: 'cpu', provider: 'cpu' });
    await session.release();
  });

  it('says file_not_found for a missing file', async () => {
    const e = await rejection(openStageSession('pose', join(dir, 'nope.onnx')));
    expect(e.code).toBe('file_not_found');
    expect(e.message).toContain('nope.onnx: no model file at');
  });

  it('refuses random bytes as a model with onnx_contract', async () => {
    const bytes = new Uint8Array(testProjection(64, 1, 7).buffer);
    const file = join(dir, 'regions.onnx');
    writeFileSync(file, bytes);
    const e = await rejection(openStageSession('regions', file));
    expect(e.code).toBe('onnx_contract');
    expect(e.message).toMatch(/^regions\.onnx: onnxruntime could not load the model/);
  });

  it("'cuda' without a usable CUDA provider is an onnx_runtime error that says what to do", async () => {
    const attempt = openSession(buildFlowModel(), 'flow.onnx', { executionProvider: 'cuda' });
    if (cudaProviderInstalled) {
      // A GPU image: either it works on CUDA or it fails as the machine's fault.
      const outcome = await attempt.then(
        (r) => r.report.provider,
        (e: VadError) => e.code,
      );
      expect(['cuda', 'onnx_runtime']).toContain(outcome);
      return;
    }
    const e = await rejection(attempt);
    expect(e.code).toBe('onnx_runtime');
    expect(e.message).toContain('flow.onnx: the CUDA execution provider was asked for but could not be loaded');
    expect(e.message).toContain("use executionProvider 'cpu' or 'auto'");
  });

  it("'auto' falls back to the CPU and reports why", async () => {
    const { session, report } = await openSession(buildFlowModel(), 'flow.onnx', { executionProvider: 'auto' });
    expect(report.requested).toBe('auto');
    expect(report.provider).toBe(session.provider);
    if (!cudaProviderInstalled) {
      expect(report.provider).toBe('cpu');
      expect(report.fallback).toMatch(/^CUDA unavailable: /);
    }
    await session.release();
  });
});

describe('describeProviders', () => {
  it('prints one line with each stage and its provider', () => {
    expect(
      describeProviders([
        { label: 'regions.onnx', requested: 'cpu', provider: 'cpu' },
        { label: 'flow.onnx', requested: 'auto', provider: 'cpu', fallback: 'CUDA unavailable: no library' },
      ]),
    ).toBe('regions.onnx: cpu, flow.onnx: cpu (auto: CUDA unavailable: no library)');
    expect(describeProviders([])).toBe('no ONNX stages');
  });
});
