import { createHash } from 'node:crypto';
import type { DeployConfig } from '@vad/contracts';

/**
 * Resource names derive from the model digest and a timestamp, as in the tutorial, but through a
 * fingerprint of everything that decides what serves (model bytes, image, instance, env …):
 * `<name>-<fingerprint>-<yyyymmddhhmmss>`. The same inputs give the same fingerprint, so a re-run
 * finds the endpoint already on it and changes nothing; a different model or setting gives a new
 * model + endpoint config and a blue/green update. The endpoint itself keeps `<name>`.
 */

export interface FingerprintInputs {
  readonly target: DeployConfig['target'];
  readonly modelSha256: string;
  /** The image as configured (a URI, or `build:<repository>`); locally `local`. */
  readonly image: string;
  readonly config: DeployConfig;
}

export function deployFingerprint(i: FingerprintInputs): string {
  const a = i.config.aws;
  const relevant =
    i.target === 'aws'
      ? {
          model: i.modelSha256,
          image: i.image,
          role: a.roleArn,
          instanceType: a.instanceType,
          instanceCount: a.instanceCount,
          variant: a.variant,
          asyncOutput: a.asyncOutput ?? null,
          dataCapture: a.dataCapture ?? null,
          startup: a.startupTimeoutSeconds,
          env: Object.fromEntries(Object.entries(a.env).sort(([x], [y]) => x.localeCompare(y))),
        }
      : { model: i.modelSha256, image: i.image, workers: i.config.local.workers };
  return createHash('sha256').update(JSON.stringify(relevant)).digest('hex').slice(0, 10);
}

/** `yyyymmddhhmmss` in UTC. */
export function timestampStamp(d: Date = new Date()): string {
  return d.toISOString().replace(/[-:T]/g, '').slice(0, 14);
}

export interface ResourceNames {
  readonly endpointName: string;
  readonly modelName: string;
  readonly endpointConfigName: string;
}

export function resourceNames(name: string, fingerprint: string, stamp: string): ResourceNames {
  const versioned = `${name}-${fingerprint}-${stamp}`;
  return { endpointName: name, modelName: versioned, endpointConfigName: versioned };
}

/** Whether `configName` was made by us for `name` with this fingerprint (any timestamp). */
export function isConfigOf(configName: string | undefined, name: string, fingerprint: string): boolean {
  return !!configName && new RegExp(`^${name.replace(/[-]/g, '\\-')}-${fingerprint}-\\d{14}$`).test(configName);
}

/** The S3 key of a model archive: the digest is in the key, so an object never changes meaning. */
export function modelKey(prefix: string, sha256: string): string {
  const p = prefix.replace(/^\/+|\/+$/g, '');
  return `${p ? `${p}/` : ''}models/${sha256}/model.tar.gz`;
}
