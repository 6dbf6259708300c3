import { cp, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ErrorBodySchema } from '@vad/contracts';
import { defaultModelDir } from '@vad/core';
import { startServer, waitForPing } from './helpers';

/**
 * The real server (from sources) on a model folder that SageMaker unpacked but unpack would have
 * refused (issue 12): /ping answers 503 with the reason at once and keeps answering (never a hang),
 * no worker is started; the same folder without the hostile file gets to 200.
 */
let root: string;
beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'vad-model-safety-'));
});
afterAll(async () => {
  await rm(root, { recursive: true, force: true });
});

async function modelCopy(name: string): Promise<string> {
  const dir = join(root, name);
  await cp(defaultModelDir(), dir, { recursive: true });
  return dir;
}

describe('server start-up checks the model folder', () => {
  it.each([
    [
      'a symbolic link',
      (dir: string) => symlink('/etc/passwd', join(dir, 'onnx-link')),
      /file "onnx-link" is a symbolic link \(to "\/etc\/passwd"\); refusing to load the model/,
    ],
    ['a pickle', (dir: string) => writeFile(join(dir, 'ai_vad_weights.pth'), Buffer.from([0x80, 0x04, 0x4e, 0x2e])), /ai_vad_weights\.pth is a pickle/],
    ['a file the manifest does not list', (dir: string) => writeFile(join(dir, 'payload.bin'), 'x'), /"payload\.bin" is not listed in manifest\.json/],
  ])('%s: /ping 503 model_not_ready with the reason, promptly, and again', async (_what, plant, reason) => {
    const dir = await modelCopy(`bad-${_what.replace(/\W+/g, '-')}`);
    await plant(dir);
    const server = await startServer({ VAD_MODEL_DIR: dir });
    try {
      const t0 = Date.now();
      let body = '';
      for (;;) {
        const res = await fetch(`${server.url}/ping`).catch(() => undefined);
        if (res?.status === 503) {
          body = await res.text();
          if (/model refused/.test(body)) break;
        }
        if (Date.now() - t0 > 60_000) throw new Error(`no refusal on /ping:\n${server.logs()}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      const error = ErrorBodySchema.parse(JSON.parse(body)).error;
      expect(error.code).toBe('model_not_ready');
      expect(error.message).toMatch(reason);
      // Refused for good: a second ping says the same, and no worker ever loaded the model.
      const again = await fetch(`${server.url}/ping`);
      expect(again.status).toBe(503);
      expect(ErrorBodySchema.parse(await again.json()).error.message).toMatch(reason);
      expect(server.logs()).toMatch(/model refused/);
      expect(server.logs()).not.toMatch(/model ready/);
    } finally {
      await server.stop();
    }
  });

  it('the same folder without the hostile file gets to 200', async () => {
    const server = await startServer({ VAD_MODEL_DIR: await modelCopy('good') });
    try {
      await waitForPing(server, 200, 90_000);
    } finally {
      await server.stop();
    }
  });
});
