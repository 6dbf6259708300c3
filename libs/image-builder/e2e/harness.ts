import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@vad/core/testing';

/**
 * Real parts for the image e2e: Debian's docker-registry (the CNCF distribution registry) on
 * loopback, a base image debootstrapped from Debian packages, skopeo to pull, umoci to unpack,
 * and unshare + chroot to run the entrypoint in the image's own root filesystem.
 */
export { freePort };
export const REPO = join(__dirname, '../../..');
const TOOLS = ['docker-registry', 'skopeo', 'umoci', 'debootstrap', 'unshare', 'chroot', 'nsenter', 'ip'];

export function checkPrerequisites(): void {
  if (process.getuid?.() !== 0) throw new Error('the image e2e runs the image in a chroot: run it as root (CI does)');
  const missing = TOOLS.filter((t) => {
    try {
      execFileSync('sh', ['-c', `command -v ${t}`], { stdio: 'ignore' });
      return false;
    } catch {
      return true;
    }
  });
  if (missing.length) throw new Error(`missing ${missing.join(', ')}: run tools/install-test-deps.sh`);
  if (!existsSync(join(REPO, 'dist/apps/server/main.js'))) throw new Error('no server bundle: run `npx nx build server` (image-builder:test depends on it)');
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number, log: () => string = () => ''): Promise<T> {
  const t0 = Date.now();
  let last: unknown;
  while (Date.now() - t0 < timeoutMs) {
    try {
      const v = await probe();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not reached in ${timeoutMs} ms (${String(last ?? '')})\n${log()}`);
}

export interface LocalRegistry {
  /** host:port, for image references. */
  readonly host: string;
  close(): Promise<void>;
}

export async function startRegistry(): Promise<LocalRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'vad-registry-'));
  const port = await freePort();
  const config = join(dir, 'config.yml');
  writeFileSync(
    config,
    `version: 0.1\nlog:\n  level: warn\nstorage:\n  filesystem:\n    rootdirectory: ${join(dir, 'data')}\nhttp:\n  addr: 127.0.0.1:${port}\n`,
  );
  const child = spawn('docker-registry', ['serve', config], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d).slice(-20_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d).slice(-20_000)));
  const host = `127.0.0.1:${port}`;
  await waitFor(
    'registry /v2/ = 200',
    async () => ((await fetch(`http://${host}/v2/`)).status === 200 ? true : undefined),
    15_000,
    () => out,
  );
  return {
    host,
    close: async () => {
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r(null) : child.on('exit', r)));
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * The Debian mirror the test base is debootstrapped from; the daemonless build's system-packages
 * layer fetches ffmpeg and fonts from the same one (VAD_APT_MIRROR overrides both).
 */
export const TEST_APT_MIRROR = process.env.VAD_APT_MIRROR ?? 'http://deb.debian.org/debian';
/** Only what node itself needs: ffmpeg and fonts come from the builder's system-packages layer. */
const BASE_PACKAGES = 'libstdc++6';

/**
 * An OCI layout holding a bare Debian bookworm minbase (no ffmpeg, no fonts: the daemonless
 * builder must add them), built once with debootstrap and cached in VAD_TEST_BASE_DIR or
 * node_modules/.cache/vad-test-base, under a name that changes with the package list. Returns
 * `oci:<dir>:base`.
 */
export function testBaseLayout(log: (l: string) => void = () => {}): string {
  const dir = process.env.VAD_TEST_BASE_DIR ?? join(REPO, 'node_modules/.cache/vad-test-base');
  const layout = join(dir, `oci-minbase-${BASE_PACKAGES.replace(/[^a-z0-9]+/gi, '_')}`);
  if (existsSync(join(layout, 'index.json'))) return `oci:${layout}:base`;
  mkdirSync(dir, { recursive: true });
  const work = mkdtempSync(join(dir, 'build-'));
  try {
    log(`building the test base image (debootstrap --variant=minbase bookworm + ${BASE_PACKAGES}) into ${layout}`);
    const rootfs = join(work, 'rootfs');
    execFileSync('debootstrap', ['--variant=minbase', `--include=${BASE_PACKAGES}`, 'bookworm', rootfs, TEST_APT_MIRROR], { stdio: 'ignore' });
    rmSync(join(rootfs, 'var/cache/apt/archives'), { recursive: true, force: true });
    const oci = join(work, 'oci');
    const bundle = join(work, 'bundle');
    execFileSync('umoci', ['init', '--layout', oci]);
    execFileSync('umoci', ['new', '--image', `${oci}:base`]);
    execFileSync('umoci', [
      'config',
      '--image',
      `${oci}:base`,
      '--config.env',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      '--config.cmd',
      '/bin/sh',
    ]);
    execFileSync('umoci', ['unpack', '--image', `${oci}:base`, bundle]);
    rmSync(join(bundle, 'rootfs'), { recursive: true, force: true });
    renameSync(rootfs, join(bundle, 'rootfs'));
    execFileSync('umoci', ['repack', '--image', `${oci}:base`, bundle]);
    execFileSync('umoci', ['gc', '--layout', oci]);
    renameSync(oci, layout);
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return `oci:${layout}:base`;
}

/** The cpu build onto the test base in a loopback registry (e2e and bench:image): ffmpeg and fonts from TEST_APT_MIRROR. */
export function testCpuBuild(registry: string, baseImage: string, repository: string) {
  return { workspaceRoot: REPO, variant: 'cpu' as const, baseImage, dest: { registry, repository }, aptMirror: TEST_APT_MIRROR };
}

export function skopeo(...args: string[]): string {
  return execFileSync('skopeo', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
}

export interface UnpackedImage {
  readonly rootfs: string;
  readonly user: { uid: number; gid: number };
  readonly env: string[];
  readonly args: string[];
  readonly cwd: string;
}

/** skopeo copy to an OCI layout, then umoci unpack: the rootfs and the runtime spec a container runtime would start. */
export function pullAndUnpack(ref: string, dir: string): UnpackedImage {
  const layout = join(dir, 'oci');
  mkdirSync(dir, { recursive: true });
  skopeo('copy', '--quiet', '--src-tls-verify=false', `docker://${ref}`, `oci:${layout}:img`);
  const bundle = join(dir, 'bundle');
  execFileSync('umoci', ['unpack', '--image', `${layout}:img`, bundle]);
  const spec = JSON.parse(execFileSync('cat', [join(bundle, 'config.json')], { encoding: 'utf8' })) as {
    process: { user: { uid: number; gid: number }; env: string[]; args: string[]; cwd: string };
  };
  return { rootfs: join(bundle, 'rootfs'), user: spec.process.user, env: spec.process.env, args: spec.process.args, cwd: spec.process.cwd };
}

export interface ImageProcess {
  readonly child: ChildProcess;
  readonly url: string;
  readonly logs: () => string;
  readonly exited: Promise<number | null>;
  /** Runs a command in the container's network namespace (for the isolated run). */
  inNetns(cmd: string[]): string;
}

/**
 * Starts the image's entrypoint + args in its rootfs: a private mount namespace with the model
 * directory bind-mounted read-only at /opt/ml/model, /proc and /dev, then chroot as the image's
 * user with only the image's environment (plus the port). `isolated`: a fresh network namespace
 * with only loopback, so any network access at start fails.
 */
export async function runImage(img: UnpackedImage, modelDir: string, isolated: boolean): Promise<ImageProcess> {
  const port = await freePort();
  mkdirSync(join(img.rootfs, 'opt/ml/model'), { recursive: true });
  const script = [
    'set -e',
    'mount --bind "$MODEL" "$ROOT/opt/ml/model"',
    'mount -o remount,bind,ro "$ROOT/opt/ml/model"',
    'mount -t proc proc "$ROOT/proc"',
    'mount --rbind /dev "$ROOT/dev"',
    ...(isolated ? ['ip link set lo up'] : []),
    'exec chroot --userspec="$IMG_USER" "$ROOT" /bin/sh -c \'cd "$0" && exec env -i "$@"\' "$IMG_CWD" "$@"',
  ].join('\n');
  const env = [...img.env, `SAGEMAKER_BIND_TO_PORT=${port}`];
  const child = spawn('unshare', ['--mount', '--propagation', 'private', ...(isolated ? ['--net'] : []), 'sh', '-c', script, 'sh', ...env, ...img.args], {
    env: { PATH: process.env.PATH, ROOT: img.rootfs, MODEL: modelDir, IMG_USER: `${img.user.uid}:${img.user.gid}`, IMG_CWD: img.cwd },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout!.on('data', (d: Buffer) => (out = (out + d).slice(-200_000)));
  child.stderr!.on('data', (d: Buffer) => (out = (out + d).slice(-200_000)));
  const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
  return {
    child,
    url: `http://127.0.0.1:${port}`,
    logs: () => out,
    exited,
    inNetns: (cmd) => execFileSync('nsenter', [`--net=/proc/${child.pid}/ns/net`, ...cmd], { encoding: 'utf8' }),
  };
}
