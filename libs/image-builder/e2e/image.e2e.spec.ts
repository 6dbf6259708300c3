import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { list } from 'tar';
import { assembleImage, buildAndPushImage, buildLayers, imagePlan, MEDIA, parseImageRef, RegistryClient, RegistryError } from '../src';
import {
  checkPrerequisites,
  freePort,
  pullAndUnpack,
  REPO,
  runImage,
  skopeo,
  startRegistry,
  testBaseLayout,
  testCpuBuild,
  waitFor,
  type ImageProcess,
  type LocalRegistry,
  type UnpackedImage,
} from './harness';

/**
 * The cpu image, built without Docker onto a Debian base pushed to a real registry on loopback,
 * pulled back with skopeo, unpacked with umoci and started from its own root filesystem: it must
 * answer exactly as the workspace server does, drain on SIGTERM, and need no network to start.
 */
const MODEL = join(REPO, 'libs/vad-core/assets/default-model');
const CLIP = join(REPO, 'libs/vad-core/assets/sample-clip');
const frame = (i: number): Buffer => readFileSync(join(CLIP, `frame_${String(i).padStart(4, '0')}.jpg`));
const clipBody = (n: number) => JSON.stringify({ frames: Array.from({ length: n }, (_, i) => frame(i).toString('base64')) });

interface Answer {
  status: number;
  type: string | null;
  body: Buffer;
}

/** An H.264 mp4 of the sample clip's first `n` frames, made by this machine's ffmpeg (the image's comes from its system-packages layer). */
function clipVideo(n: number): Buffer {
  const dir = mkdtempSync(join(tmpdir(), 'vad-e2e-video-'));
  try {
    const out = join(dir, 'clip.mp4');
    execFileSync('ffmpeg', [
      '-nostdin',
      '-loglevel',
      'error',
      '-framerate',
      '5',
      '-i',
      join(CLIP, 'frame_%04d.jpg'),
      '-frames:v',
      String(n),
      '-c:v',
      'libx264',
      '-pix_fmt',
      'yuv420p',
      out,
    ]);
    return readFileSync(out);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** The same four requests against any server: a clip (JSON), two frames rendered as PNG, the tutorial's single image bytes, an mp4 (ffmpeg). */
async function answers(url: string): Promise<Answer[]> {
  const requests: [string, Record<string, string>][] = [
    [clipBody(6), { 'content-type': 'application/json', accept: 'application/json' }],
    [clipBody(2), { 'content-type': 'application/json', accept: 'image/png' }],
  ];
  const out: Answer[] = [];
  for (const [body, headers] of requests) out.push(await answer(fetch(`${url}/invocations`, { method: 'POST', body, headers })));
  out.push(
    await answer(fetch(`${url}/invocations`, { method: 'POST', body: frame(0), headers: { 'content-type': 'application/x-image', accept: 'image/png' } })),
  );
  out.push(await answer(fetch(`${url}/invocations`, { method: 'POST', body: video, headers: { 'content-type': 'video/mp4', accept: 'application/json' } })));
  return out;
}

async function answer(p: Promise<Response>): Promise<Answer> {
  const res = await p;
  let body = Buffer.from(await res.arrayBuffer());
  const type = res.headers.get('content-type');
  // Timings and request ids differ run to run; everything else must be identical.
  if (type?.startsWith('application/json')) {
    const j = JSON.parse(body.toString()) as { timingsMs?: unknown; error?: { requestId?: string } };
    delete j.timingsMs;
    delete j.error?.requestId;
    body = Buffer.from(JSON.stringify(j));
  }
  return { status: res.status, type, body };
}

const pingIs200 = async (url: string) => ((await fetch(`${url}/ping`)).status === 200 ? true : undefined);

const video = clipVideo(6);
let registry: LocalRegistry;
let work: string;
let baseRef: string;

beforeAll(async () => {
  checkPrerequisites();
  work = mkdtempSync(join(tmpdir(), 'vad-image-e2e-'));
  registry = await startRegistry();
  baseRef = `${registry.host}/test/base:bookworm`;
  const layout = testBaseLayout((l) => process.stdout.write(`${l}\n`));
  skopeo('copy', '--quiet', '--dest-tls-verify=false', layout, `docker://${baseRef}`);
}, 900_000);

afterAll(async () => {
  await registry?.close();
  if (work) rmSync(work, { recursive: true, force: true });
});

describe('daemonless cpu image', () => {
  let ref: string;
  let img: UnpackedImage;

  it('builds onto the base and pushes a Docker v2 schema 2 manifest; a rebuild of the same sources pushes 0 bytes', async () => {
    const opts = { ...testCpuBuild(registry.host, baseRef, 'vad-serve'), workDir: join(work, 'build') };
    const first = await buildAndPushImage(opts);
    process.stdout.write(`${first.systemPackages.summary} in ${first.systemPackages.seconds.toFixed(1)} s\n`);
    expect(first.mediaType).toBe(MEDIA.dockerManifest);
    // The test base has no ffmpeg and no fonts: the system-packages layer brings them from the Debian mirror.
    expect(first.systemPackages.added).toEqual(expect.arrayContaining(['ffmpeg', 'fontconfig', 'fonts-dejavu-core', 'ca-certificates']));
    expect(first.bytesPushed).toBeGreaterThan(first.ourBytes);
    const again = await buildAndPushImage({ ...opts, workDir: join(work, 'build2') });
    expect([again.digest, again.tag, again.bytesPushed]).toEqual([first.digest, first.tag, 0]);
    ref = `${registry.host}/vad-serve@${first.digest}`;

    // What the registry serves, read by skopeo (not by our client).
    const raw = JSON.parse(skopeo('inspect', '--raw', '--tls-verify=false', `docker://${ref}`)) as {
      mediaType: string;
      config: { mediaType: string };
      layers: { mediaType: string }[];
    };
    expect(raw.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json');
    expect(raw.config.mediaType).toBe('application/vnd.docker.container.image.v1+json');
    expect(new Set(raw.layers.map((l) => l.mediaType))).toEqual(new Set(['application/vnd.docker.image.rootfs.diff.tar.gzip']));
    const config = JSON.parse(skopeo('inspect', '--config', '--tls-verify=false', `docker://${ref}`)) as {
      config: { Labels: Record<string, string>; User: string; Entrypoint: string[]; Cmd: string[] };
    };
    expect(config.config.Labels['com.amazonaws.sagemaker.capabilities.accept-bind-to-port']).toBe('true');
    expect(config.config.User).toBe('10001:10001');
    expect([config.config.Entrypoint, config.config.Cmd]).toEqual([['/opt/vad/server/bin/serve'], ['serve']]);
    img = pullAndUnpack(ref, join(work, 'pulled'));
    expect(img.user).toMatchObject({ uid: 10001, gid: 10001 });
  });

  it('started from its own rootfs, answers /ping and /invocations exactly as the workspace server does, and drains on SIGTERM', async () => {
    expect(img).toBeDefined();
    const port = await freePort();
    const workspace = spawn(join(REPO, 'dist/apps/server/bin/serve'), ['serve'], {
      env: { ...process.env, VAD_MODEL_DIR: MODEL, SAGEMAKER_BIND_TO_PORT: String(port), VAD_WORKERS: '1' },
      stdio: 'ignore',
    });
    const wsUrl = `http://127.0.0.1:${port}`;
    let image: ImageProcess | undefined;
    try {
      image = await runImage(img, MODEL, false);
      const url = image.url;
      await waitFor('image /ping 200', () => pingIs200(url), 120_000, image.logs);
      await waitFor('workspace /ping 200', () => pingIs200(wsUrl), 120_000);
      const ping = await fetch(`${url}/ping`);
      expect([ping.status, await ping.text()]).toEqual([200, '']);
      const fromImage = await answers(url);
      const fromWorkspace = await answers(wsUrl);
      expect(fromImage.map((a) => [a.status, a.type])).toEqual(fromWorkspace.map((a) => [a.status, a.type]));
      expect(fromImage[0]!.status).toBe(200);
      expect(fromImage[1]!.type).toBe('image/png');
      // video/mp4 decoded by the layer's ffmpeg inside the image (501 video_decoder_missing without it).
      expect([fromImage[3]!.status, fromImage[3]!.body.toString().slice(0, 200)]).toEqual([200, expect.stringContaining('"results"')]);
      for (let i = 0; i < fromImage.length; i++) {
        const a = fromImage[i]!;
        const b = fromWorkspace[i]!;
        // JSON compared as text (shows the difference); images byte for byte.
        if (a.type?.startsWith('application/json')) expect(a.body.toString()).toBe(b.body.toString());
        else expect([i, a.body.equals(b.body)]).toEqual([i, true]);
      }
      // The model came from the mount, not the bundle's embedded default.
      expect(image.logs()).toMatch(/\/opt\/ml\/model/);

      const inflight = fetch(`${url}/invocations`, { method: 'POST', body: clipBody(6), headers: { 'content-type': 'application/json' } });
      await new Promise((r) => setTimeout(r, 100));
      image.child.kill('SIGTERM');
      const res = await inflight;
      expect(res.status).toBe(200);
      expect(((await res.json()) as { results: unknown[] }).results).toHaveLength(5);
      expect(await image.exited).toBe(0);
    } finally {
      image?.child.kill('SIGKILL');
      workspace.kill('SIGKILL');
    }
  });

  it('needs no network at start: in a network namespace with only loopback it still becomes ready', async () => {
    expect(img).toBeDefined();
    const image = await runImage(img, MODEL, true);
    try {
      const code = await waitFor(
        'isolated image /ping 200',
        async () => {
          if (image.child.exitCode !== null) throw new Error(`exited ${image.child.exitCode}`);
          const status = image.inNetns(['curl', '-s', '-o', '/dev/null', '-w', '%{http_code}', `${image.url}/ping`]).trim();
          return status === '200' ? status : undefined;
        },
        120_000,
        image.logs,
      );
      expect(code).toBe('200');
      image.child.kill('SIGTERM');
      expect(await image.exited).toBe(0);
    } finally {
      image.child.kill('SIGKILL');
    }
  });
});

describe('gpu variant (never pulled or run here: no CUDA base, no GPU)', () => {
  it('stages onnxruntime-node in a copy for its CUDA installer and assembles a Docker v2 image over the base', async () => {
    const installed: string[] = [];
    const plan = imagePlan('gpu', REPO, baseRef);
    const layers = await buildLayers(plan, {
      workspaceRoot: REPO,
      workDir: join(work, 'gpu'),
      // Stands in for onnxruntime-node's installer (its CUDA binaries come from GitHub releases, unreachable here).
      installOrtCuda: (dir) => {
        installed.push(dir);
        writeFileSync(join(dir, 'installed-by-test'), 'cuda12');
      },
    });
    expect(installed).toHaveLength(1);
    expect(installed[0]).toMatch(/stage\/runtime-modules\/opt\/vad\/node_modules\/onnxruntime-node$/);
    // What the installer wrote is in the layer, and the workspace's own copy is untouched.
    expect(existsSync(join(REPO, 'node_modules/onnxruntime-node/installed-by-test'))).toBe(false);
    const paths: string[] = [];
    await list({ file: layers[1]!.file, onReadEntry: (e) => paths.push(e.path) });
    expect(paths).toContain('opt/vad/node_modules/onnxruntime-node/installed-by-test');
    expect(layers.map((l) => l.id)).toEqual(['node', 'runtime-modules', 'server', 'entrypoint']);
    const ref = parseImageRef(baseRef);
    const client = new RegistryClient(ref.registry);
    const { manifest: baseManifest } = await client.imageManifest(ref.repository, ref.reference);
    const image = await assembleImage(plan, { client, repository: ref.repository, manifest: baseManifest }, layers);
    const manifest = JSON.parse(image.manifest.toString()) as {
      mediaType: string;
      config: { mediaType: string };
      layers: { digest: string; mediaType: string }[];
    };
    expect([manifest.mediaType, manifest.config.mediaType]).toEqual([MEDIA.dockerManifest, MEDIA.dockerConfig]);
    expect(manifest.layers.slice(-4).map((l) => l.digest)).toEqual(layers.map((l) => l.digest));
    const config = JSON.parse(image.config.toString()) as { config: { Labels: Record<string, string>; User: string; Env: string[] } };
    expect(config.config.Labels['com.amazonaws.sagemaker.capabilities.accept-bind-to-port']).toBe('true');
    expect(config.config.User).toBe('10001:10001');
    expect(config.config.Env).toEqual(expect.arrayContaining(['VAD_EXECUTION_PROVIDER=auto', 'NODE_ENV=production', expect.stringMatching(/^PATH=/)]));
    expect(image.tag).toMatch(/^gpu-[0-9a-f]{16}$/);
  });
});

describe('registry client errors', () => {
  it('a refused call names the call, the path and the HTTP status, with the registry_failed code', async () => {
    const client = new RegistryClient(registry.host);
    const err = await client.getManifest('vad-serve', 'no-such-tag').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RegistryError);
    expect((err as RegistryError).code).toBe('registry_failed');
    expect((err as RegistryError).httpStatus).toBe(404);
    expect((err as Error).message).toMatch(/GetManifest \(GET 127\.0\.0\.1:\d+\/v2\/vad-serve\/manifests\/no-such-tag\): HTTP 404/);
    const down = await new RegistryClient('127.0.0.1:1').hasBlob('x', 'sha256:00').catch((e: unknown) => e);
    expect((down as Error).message).toMatch(/HeadBlob .*failed/);
  });
});
