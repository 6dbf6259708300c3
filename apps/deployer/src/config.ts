import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { DeployConfigSchema, deployConfigProblems, MANIFEST_FILE, VadError, type DeployConfig, type ModelSource } from '@vad/contracts';

/**
 * Configuration = defaults ← deploy.yaml ← environment ← flags (flags win), validated by the
 * contracts' schema. Every bad field is reported, one line each, before anything runs.
 */

type Plain = Record<string, unknown>;

/** What the command line gives (commander's parsed options, all optional strings or lists). */
export interface ConfigFlags {
  config?: string;
  target?: string;
  name?: string;
  model?: string[];
  region?: string;
  bucket?: string;
  prefix?: string;
  image?: string;
  buildImage?: boolean | string;
  roleArn?: string;
  instanceType?: string;
  instanceCount?: string;
  variant?: string;
  asyncOutput?: string;
  dataCapture?: string;
  autoscaleMin?: string;
  autoscaleMax?: string;
  autoscaleTarget?: string;
  rollout?: string;
  alarm?: string[];
  tag?: string[];
  poll?: string;
  maxWait?: string;
  stateFile?: string;
  stateDir?: string;
  clip?: string;
  png?: string;
  smoke?: boolean;
}

/** The environment variables the deployer reads (documented in apps/deployer/README.md). */
export const DEPLOY_ENV = {
  VAD_DEPLOY_TARGET: 'target',
  VAD_DEPLOY_NAME: 'name',
  VAD_DEPLOY_MODEL: 'model',
  AWS_REGION: 'aws.region',
  VAD_DEPLOY_BUCKET: 'aws.bucket',
  VAD_DEPLOY_PREFIX: 'aws.prefix',
  VAD_DEPLOY_IMAGE: 'aws.image.uri',
  VAD_DEPLOY_ROLE_ARN: 'aws.roleArn',
  VAD_DEPLOY_INSTANCE_TYPE: 'aws.instanceType',
  VAD_DEPLOY_INSTANCE_COUNT: 'aws.instanceCount',
  VAD_DEPLOY_STATE_FILE: 'stateFile',
  VAD_DEPLOY_LOCAL_STATE_DIR: 'local.stateDir',
} as const;

function isPlain(v: unknown): v is Plain {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Later layers win; objects merge key by key, everything else is replaced. */
export function mergeLayers(...layers: Plain[]): Plain {
  const out: Plain = {};
  for (const layer of layers) {
    for (const [k, v] of Object.entries(layer)) {
      if (v === undefined) continue;
      out[k] = isPlain(v) && isPlain(out[k]) ? mergeLayers(out[k] as Plain, v) : v;
    }
  }
  return out;
}

function setPath(target: Plain, path: string, value: unknown): void {
  const keys = path.split('.');
  let node = target;
  for (const k of keys.slice(0, -1)) {
    if (!isPlain(node[k])) node[k] = {};
    node = node[k] as Plain;
  }
  node[keys[keys.length - 1]!] = value;
}

/** A number-looking string becomes a number (flags and env are strings); anything else stays for zod to report. */
function num(v: string | undefined): number | string | undefined {
  if (v === undefined) return undefined;
  const n = Number(v);
  return v.trim() !== '' && Number.isFinite(n) ? n : v;
}

/**
 * `model:` may be written as a path (or list of paths): a folder with manifest.json is a model
 * dir, `*.tar.gz`/`*.tgz` a packed model, anything else anomalib files; `default` the embedded model.
 */
export function modelSourceFromShorthand(value: unknown, baseDir: string): unknown {
  if (value === undefined || value === null) return undefined;
  if (isPlain(value)) {
    const v = { ...value };
    if (typeof v['path'] === 'string' && !isAbsolute(v['path'])) v['path'] = resolve(baseDir, v['path']);
    if (Array.isArray(v['files'])) v['files'] = v['files'].map((f) => (typeof f === 'string' && !isAbsolute(f) ? resolve(baseDir, f) : f));
    return v;
  }
  const paths = (Array.isArray(value) ? value : [value]).map(String);
  if (paths.length === 1 && paths[0] === 'default') return { kind: 'default' } satisfies ModelSource;
  const abs = paths.map((p) => resolve(baseDir, p));
  if (abs.length === 1) {
    const p = abs[0]!;
    if (existsSync(p) && statSync(p).isDirectory()) {
      return existsSync(resolve(p, MANIFEST_FILE)) ? { kind: 'dir', path: p } : { kind: 'anomalib', files: [p] };
    }
    if (/\.(tar\.gz|tgz)$/.test(p)) return { kind: 'tar', path: p };
  }
  return { kind: 'anomalib', files: abs };
}

function fromEnv(env: NodeJS.ProcessEnv): Plain {
  const out: Plain = {};
  for (const [name, path] of Object.entries(DEPLOY_ENV)) {
    let v: unknown = env[name];
    if (name === 'AWS_REGION') v = env['AWS_REGION'] || env['AWS_DEFAULT_REGION'];
    if (v === undefined || v === '') continue;
    if (path === 'aws.instanceCount') v = num(String(v));
    if (path === 'model') v = modelSourceFromShorthand(String(v).split(',').filter(Boolean), process.cwd());
    setPath(out, path, v);
  }
  return out;
}

function keyValues(list: string[] | undefined, what: string): Record<string, string> | undefined {
  if (!list || list.length === 0) return undefined;
  const out: Record<string, string> = {};
  for (const kv of list) {
    const i = kv.indexOf('=');
    if (i <= 0) throw new VadError('config_invalid', `${what} ${JSON.stringify(kv)} must be key=value`);
    out[kv.slice(0, i)] = kv.slice(i + 1);
  }
  return out;
}

function fromFlags(f: ConfigFlags): Plain {
  const out: Plain = {};
  const set = (path: string, v: unknown) => {
    if (v !== undefined) setPath(out, path, v);
  };
  set('target', f.target);
  set('name', f.name);
  if (f.model && f.model.length > 0) set('model', modelSourceFromShorthand(f.model, process.cwd()));
  set('aws.region', f.region);
  set('aws.bucket', f.bucket);
  set('aws.prefix', f.prefix);
  if (f.image) set('aws.image', { uri: f.image });
  if (f.buildImage) set('aws.image', { build: typeof f.buildImage === 'string' ? { repository: f.buildImage } : {} });
  set('aws.roleArn', f.roleArn);
  set('aws.instanceType', f.instanceType);
  set('aws.instanceCount', num(f.instanceCount));
  set('aws.variant', f.variant);
  set('aws.asyncOutput', f.asyncOutput);
  if (f.dataCapture) set('aws.dataCapture', { destination: f.dataCapture });
  if (f.autoscaleMin !== undefined || f.autoscaleMax !== undefined || f.autoscaleTarget !== undefined) {
    set('aws.autoscale', { min: num(f.autoscaleMin), max: num(f.autoscaleMax), targetInvocationsPerInstance: num(f.autoscaleTarget) });
  }
  set('aws.rollout.strategy', f.rollout);
  if (f.alarm && f.alarm.length > 0) set('aws.rollout.alarms', f.alarm);
  set('tags', keyValues(f.tag, '--tag'));
  set('pollSeconds', num(f.poll));
  set('maxWaitMinutes', num(f.maxWait));
  set('stateFile', f.stateFile && resolve(f.stateFile));
  set('local.stateDir', f.stateDir && resolve(f.stateDir));
  set('smoke.clip', f.clip && resolve(f.clip));
  set('smoke.png', f.png && resolve(f.png));
  if (f.smoke === false) set('smoke.skip', true);
  return out;
}

async function fromFile(path: string | undefined): Promise<{ layer: Plain; file?: string }> {
  const explicit = path !== undefined;
  const file = resolve(path ?? 'deploy.yaml');
  if (!explicit && !existsSync(file)) return { layer: {} };
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (e) {
    throw new VadError('file_not_found', `cannot read ${file}: ${(e as Error).message}`, { file });
  }
  let parsed: unknown;
  try {
    parsed = parseYaml(text) ?? {};
  } catch (e) {
    throw new VadError('config_invalid', `${file} is not valid YAML: ${(e as Error).message.split('\n')[0]}`, { file });
  }
  if (!isPlain(parsed)) throw new VadError('config_invalid', `${file}: expected a mapping of settings at the top level`, { file });
  const base = dirname(file);
  const layer: Plain = { ...parsed };
  if ('model' in layer) layer['model'] = modelSourceFromShorthand(layer['model'], base);
  for (const key of ['stateFile'] as const) if (typeof layer[key] === 'string') layer[key] = resolve(base, layer[key] as string);
  if (isPlain(layer['smoke'])) {
    const s = { ...layer['smoke'] };
    for (const k of ['clip', 'png']) if (typeof s[k] === 'string') s[k] = resolve(base, s[k] as string);
    layer['smoke'] = s;
  }
  return { layer, file };
}

export interface LoadedConfig {
  readonly config: DeployConfig;
  /** The deploy.yaml that was read, if any. */
  readonly file?: string;
}

/**
 * Loads and validates. Throws one VadError('config_invalid') whose message lists every bad
 * field as `path: problem`, one per line.
 */
export async function loadDeployConfig(
  flags: ConfigFlags,
  env: NodeJS.ProcessEnv = process.env,
  command: 'deploy' | 'plan' | 'other' = 'deploy',
): Promise<LoadedConfig> {
  const { layer, file } = await fromFile(flags.config);
  const merged = mergeLayers(layer, fromEnv(env), fromFlags(flags));
  const parsed = DeployConfigSchema.safeParse(merged);
  const where = file ? `${file} (+ env, flags)` : 'configuration (env, flags)';
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.length > 0 ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new VadError('config_invalid', `${where} has ${lines.length} problem${lines.length === 1 ? '' : 's'}:\n${lines.join('\n')}`, { file });
  }
  const problems = deployConfigProblems(parsed.data, command);
  if (problems.length > 0) {
    const lines = problems.map((p) => `  ${p.path}: ${p.message}`);
    throw new VadError('config_invalid', `${where} has ${lines.length} problem${lines.length === 1 ? '' : 's'}:\n${lines.join('\n')}`, { file });
  }
  return { config: parsed.data, file };
}
