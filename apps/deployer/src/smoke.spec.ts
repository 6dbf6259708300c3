import { mkdir, mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { frameFileNames, type InvocationResponse } from '@vad/contracts';
import type { EndpointTarget, InvokeResult } from '@vad/sagemaker-client';
import { invokeClip, notAPng, readClip, renderScores } from './smoke';

/**
 * The smoke test's annotated frame: written only when the endpoint really answered a PNG. The
 * endpoint here is scripted on purpose — it stands for what answers in front of a broken one (a
 * stub such as moto's canned body, a proxy's HTML error page); the real PNG path is covered by the
 * deploy tests against the local target's real server.
 */
const response = (frames: number): InvocationResponse => ({
  model: { name: 'm', sha256: 'a'.repeat(64) },
  imageSize: [8, 8],
  results: Array.from({ length: frames - 1 }, (_, k) => ({ frame: k + 1, score: k === 1 ? 2 : 0.1, regions: [] })),
  pred_boxes: [],
  box_scores: [],
  pred_scores: [],
  timingsMs: {},
});

function scriptedTarget(pngAnswer: InvokeResult): EndpointTarget {
  let calls = 0;
  const invoke = async (): Promise<InvokeResult> =>
    calls++ === 0 ? { body: Buffer.from(JSON.stringify(response(clipFrames))), contentType: 'application/json' } : pngAnswer;
  return { invoke } as unknown as EndpointTarget;
}
let clipFrames = 0;
let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'smoke-png-'));
});
afterEach(() => rm(dir, { recursive: true, force: true }));

describe('smoke test: the annotated frame', () => {
  it('an answer that is not a PNG is not saved as one, and the output says what came back', async () => {
    const clip = await readClip();
    clipFrames = clip.files.length;
    const out = join(dir, 'smoke.png');
    const html = Buffer.from('<html><body>502 Bad Gateway</body></html>');
    const r = await invokeClip(scriptedTarget({ body: html, contentType: 'text/html' }), 'ep', clip, out);
    expect(r.png).toBeUndefined();
    expect(r.pngRefused).toMatch(/text\/html, 41 bytes that are not a PNG .*502 Bad Gateway/);
    await expect(stat(out)).rejects.toThrow(/ENOENT/);
    expect(renderScores(r)).toMatch(/annotated frame: not written — the endpoint answered/);
  });

  it('a PNG is written where asked', async () => {
    const clip = await readClip();
    clipFrames = clip.files.length;
    const out = join(dir, 'sub', 'smoke.png');
    const png = Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(16)]);
    const r = await invokeClip(scriptedTarget({ body: png, contentType: 'image/png' }), 'ep', clip, out);
    expect(r.png).toBe(out);
    expect((await stat(out)).size).toBe(png.length);
    expect(r.worst.frame).toBe(2);
    // The endpoint reports the manifest's digest; the deploy summary's is the archive's: named apart.
    expect(renderScores(r)).toContain(`manifest sha256 ${'a'.repeat(12)}`);
    expect(renderScores(r)).not.toMatch(/\bmodel sha256|\(sha256/);
  });

  it('notAPng: empty, truncated and JSON bodies are each named', () => {
    expect(notAPng(new Uint8Array(), undefined)).toMatch(/no content type, 0 bytes/);
    expect(notAPng(new Uint8Array([0x89, 0x50, 0x4e]), 'image/png')).toMatch(/3 bytes that are not a PNG/);
    expect(notAPng(Buffer.from('{"error":{}}'), 'application/json')).toMatch(/application\/json.*\{\\"error/);
  });
});

describe('invoke --clip: a clip over the request limits', () => {
  it('is sent as several requests within the limits, sharing one frame, scored in clip order', async () => {
    const clipDir = join(dir, 'clip');
    await mkdir(clipDir);
    const n = 9;
    for (let i = 0; i < n; i++) await writeFile(join(clipDir, `f_${String(i).padStart(2, '0')}.png`), `frame-${i}`);
    const clip = await readClip(clipDir);
    const requests: string[][] = [];
    // Stands for the server's contract (api.md): result k scores request frame k+1 against frame k.
    const target = {
      invoke: async (_e: string, body: string): Promise<InvokeResult> => {
        const frames = (JSON.parse(body) as { frames: { b64: string }[] }).frames.map((f) => Buffer.from(f.b64, 'base64').toString());
        requests.push(frames);
        const results = frames.slice(1).map((f, k) => ({ frame: k + 1, score: Number(f.split('-')[1]), regions: [] }));
        return { body: Buffer.from(JSON.stringify({ ...response(2), results })), contentType: 'application/json' };
      },
    } as unknown as EndpointTarget;
    const progress: string[] = [];
    const r = await invokeClip(target, 'ep', clip, undefined, {
      limits: { maxFrames: 4, maxBodyBytes: 1e6 },
      onProgress: (s, t, q) => progress.push(`${s}/${t}/${q}`),
    });
    expect(requests.map((q) => q.length)).toEqual([4, 4, 3]);
    for (let k = 1; k < requests.length; k++) expect(requests[k]![0]).toBe(requests[k - 1]!.at(-1));
    expect(r.scores.map((x) => [x.frame, x.score, x.file])).toEqual(
      Array.from({ length: n - 1 }, (_, i) => [i + 1, i + 1, `f_${String(i + 1).padStart(2, '0')}.png`]),
    );
    expect(progress).toEqual(['3/8/3', '6/8/3', '8/8/3']);
    expect(r.worst.frame).toBe(8);
  });
});

describe('frame folders', () => {
  // `deployer invoke` / the smoke test read a frame folder by the contracts' frame order, the one
  // `vad-core fit|score` use too (libs/vad-core/src/cli/frame-folder.spec.ts).
  it('are read in numeric name order (frame_2 before frame_10), images only', async () => {
    const names = ['frame_10.jpg', 'frame_2.jpg', 'frame_1.png', 'frame_100.webp', 'notes.txt', 'frame_20.JPEG'];
    for (const n of names) await writeFile(join(dir, n), n);
    const expected = ['frame_1.png', 'frame_2.jpg', 'frame_10.jpg', 'frame_20.JPEG', 'frame_100.webp'];
    expect(frameFileNames(names)).toEqual(expected);
    const clip = await readClip(dir);
    expect(clip.files).toEqual(expected);
    // each file's bytes travel with its name
    expect(clip.bytes.map((b) => Buffer.from(b).toString())).toEqual(expected);
  });
});
