import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buildAndPushImage, buildLayers, imagePlan, type BuildAndPushResult } from '../src';
import { checkPrerequisites, REPO, skopeo, startRegistry, testBaseLayout, testCpuBuild } from '../e2e/harness';

/**
 * `nx run bench:image`: the daemonless build per variant — build time, compressed size (whole
 * image and our layers), push time, and the bytes a re-deploy of unchanged sources pushes (goal 0).
 * cpu runs end to end onto the debootstrapped test base (no ffmpeg, no fonts) in a loopback
 * registry, so its build includes the system-packages layer: first from an empty apt cache (index
 * and .debs downloaded from the Debian mirror), then again on the warm cache. gpu builds its
 * layers only (its CUDA base and onnxruntime-node's CUDA binaries need the network).
 */
const mb = (b: number) => `${(b / 1e6).toFixed(1)} MB`;

(async () => {
  checkPrerequisites();
  const work = mkdtempSync(join(tmpdir(), 'vad-bench-image-'));
  const registry = await startRegistry();
  try {
    const base = `${registry.host}/test/base:bookworm`;
    skopeo('copy', '--quiet', '--dest-tls-verify=false', testBaseLayout(), `docker://${base}`);
    const opts = { ...testCpuBuild(registry.host, base, 'bench'), cacheDir: join(work, 'apt-cache') };
    const sys = (r: BuildAndPushResult) =>
      `system-packages ${r.systemPackages.added.length} packages, layer ${mb(r.systemPackages.layerBytes)} in ${r.systemPackages.seconds.toFixed(1)} s (downloaded ${mb(r.systemPackages.downloadedBytes)})`;
    const first = await buildAndPushImage({ ...opts, workDir: join(work, 'a') });
    process.stdout.write(
      `cpu  build ${first.buildSeconds.toFixed(1)} s, push ${first.pushSeconds.toFixed(1)} s: image ${mb(first.imageBytes)} compressed, ours ${mb(first.ourBytes)}, pushed ${mb(first.bytesPushed)}\n`,
    );
    process.stdout.write(`cpu  ${sys(first)}, empty apt cache\n`);
    const again = await buildAndPushImage({ ...opts, workDir: join(work, 'b') });
    process.stdout.write(
      `cpu  re-deploy (same sources): build ${again.buildSeconds.toFixed(1)} s, push ${again.pushSeconds.toFixed(1)} s, ${again.bytesPushed} bytes pushed, same digest: ${again.digest === first.digest}\n`,
    );
    process.stdout.write(`cpu  re-deploy ${sys(again)}, warm apt cache\n`);
    const t0 = Date.now();
    const gpu = await buildLayers(imagePlan('gpu', REPO), { workspaceRoot: REPO, workDir: join(work, 'gpu'), installOrtCuda: () => {} });
    process.stdout.write(
      `gpu  layers ${((Date.now() - t0) / 1000).toFixed(1)} s, ours ${mb(gpu.reduce((s, l) => s + l.size, 0))} (without the CUDA provider binaries and base: never fetched here)\n`,
    );
  } finally {
    await registry.close();
    rmSync(work, { recursive: true, force: true });
  }
})().catch((e: unknown) => {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
});
