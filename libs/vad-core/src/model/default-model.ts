import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

/**
 * The embedded default model (foreground regions, built-in flow, velocity GMM fitted on the
 * synthetic walkway scenes by tools/default-model). Its files ship in the package's assets/, so a
 * fresh machine runs with no downloaded weights. VAD_DEFAULT_MODEL_DIR overrides (bundled apps
 * copy the assets next to their bundle).
 */
export function defaultModelDir(): string {
  const candidates = [
    process.env['VAD_DEFAULT_MODEL_DIR'],
    resolve(__dirname, '../../assets/default-model'), // source tree and the built package
    resolve(__dirname, 'assets/default-model'), // an esbuild bundle with assets copied beside it
    resolve(__dirname, '../assets/default-model'),
  ].filter((c): c is string => !!c);
  return candidates.find((c) => existsSync(join(c, 'manifest.json'))) ?? candidates[candidates.length > 1 ? 1 : 0];
}

/** The bundled sample clip (a synthetic test scene with a fast cyclist), used by the demos. */
export function sampleClipDir(): string {
  const candidates = [resolve(__dirname, '../../assets/sample-clip'), resolve(__dirname, 'assets/sample-clip'), resolve(__dirname, '../assets/sample-clip')];
  return candidates.find((c) => existsSync(c)) ?? candidates[0];
}
