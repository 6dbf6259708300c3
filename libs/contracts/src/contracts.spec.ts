import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import {
  ERRORS,
  VadError,
  asVadError,
  isVadError,
  runCli,
  ErrorBodySchema,
  commanderExitCode,
  InvocationResponseSchema,
  JsonInvocationSchema,
  ManifestSchema,
  resolveFrameRef,
  type ErrorCode,
} from './index';

const API_MD = resolve(__dirname, '../../../../shared/docs/api.md');

/** The `code` (status) pairs and the "code / code (400 or 422 as fits)" group of api.md's Errors section. */
function documentedErrors(md: string): Map<string, number[]> {
  const section = md.split(/^## Errors$/m)[1]?.split(/^## /m)[0] ?? '';
  const out = new Map<string, number[]>();
  // A run of `code` / `code` ... followed by "(status)" or "(400 or 422 as fits)".
  for (const m of section.matchAll(/((?:`[a-z_0-9]+`\s*(?:\/\s*)?)+)\(([^)]*)\)/g)) {
    const statuses = [...m[2]!.matchAll(/\b([45]\d\d)\b/g)].map((s) => Number(s[1]));
    for (const c of m[1]!.matchAll(/`([a-z_0-9]+)`/g)) out.set(c[1]!, statuses);
  }
  return out;
}

describe('error table', () => {
  it('every code api.md documents exists with a status api.md allows', () => {
    const documented = documentedErrors(readFileSync(API_MD, 'utf8'));
    expect(documented.size).toBeGreaterThanOrEqual(10);
    for (const [code, statuses] of documented) {
      expect(Object.keys(ERRORS)).toContain(code);
      expect(statuses).toContain(ERRORS[code as ErrorCode].status);
    }
  });

  it('client faults are 4xx; model and server faults are 5xx (or 429 for a busy server); exits follow sysexits', () => {
    const is5xx = (status: number) => status >= 500 && status <= 599;
    for (const [code, e] of Object.entries(ERRORS)) {
      const where = `${code} (${e.fault}, ${e.status}, exit ${e.exit})`;
      expect([where, e.exit > 0 && e.exit < 128]).toEqual([where, true]);
      if (e.fault === 'client') expect([where, e.status >= 400 && e.status <= 499]).toEqual([where, true]);
      if (e.fault === 'model') expect([where, is5xx(e.status) && (e.exit === 65 || e.exit === 70)]).toEqual([where, true]);
      if (e.fault === 'server') expect([where, is5xx(e.status) || e.status === 429]).toEqual([where, true]);
      // a usage error (2) is always the client's
      if (e.exit === 2) expect([where, e.fault]).toEqual([where, 'client']);
      if (code.startsWith('s3_') || code.startsWith('bad_')) expect(e.status).toBeLessThan(500);
    }
  });

  it('every error carries its code, HTTP status and exit code from the one table', () => {
    const err = new VadError('digest_mismatch', 'x');
    expect([err.code, ERRORS[err.code].status, err.exitCode]).toEqual(['digest_mismatch', ERRORS.digest_mismatch.status, ERRORS.digest_mismatch.exit]);
    expect(asVadError(err)).toBe(err);
    expect(asVadError(new Error('boom'), 'deploy_failed')).toMatchObject({ code: 'deploy_failed', message: 'boom' });
    expect(isVadError(asVadError('text'))).toBe(true);
  });

  it("runCli: an error becomes one line on stderr and its exit code; help and usage errors are commander's", async () => {
    const lines: string[] = [];
    const stderr = { write: (t: string) => lines.push(t) };
    expect(await runCli(async () => undefined, { stderr })).toBe(0);
    expect(
      await runCli(
        async () => {
          throw new VadError('file_not_found', 'no such file a.tar.gz');
        },
        { stderr },
      ),
    ).toBe(66);
    expect(
      await runCli(
        async () => {
          throw new Error('boom\nstack');
        },
        { stderr, fallback: 'deploy_failed', name: 'deployer' },
      ),
    ).toBe(70);
    expect(
      await runCli(
        async () => {
          throw Object.assign(new Error('unknown option'), { code: 'commander.unknownOption' });
        },
        { stderr },
      ),
    ).toBe(ERRORS.bad_argument.exit);
    expect(lines).toEqual(['error[file_not_found]: no such file a.tar.gz\n', 'deployer: deploy_failed: boom\nstack\n']);
  });

  it('CLIs exit 0 after help, with the bad_argument code on usage errors, and leave other errors alone', () => {
    expect(commanderExitCode({ code: 'commander.helpDisplayed' })).toBe(0);
    expect(commanderExitCode({ code: 'commander.unknownOption' })).toBe(ERRORS.bad_argument.exit);
    expect(commanderExitCode(new Error('boom'))).toBeUndefined();
    expect(commanderExitCode({ code: 'bad_image' })).toBeUndefined();
    expect(commanderExitCode(null)).toBeUndefined();
  });

  it('error bodies refuse unknown codes', () => {
    expect(ErrorBodySchema.safeParse({ error: { code: 'bad_json', message: 'x' } }).success).toBe(true);
    expect(ErrorBodySchema.safeParse({ error: { code: 'made_up', message: 'x' } }).success).toBe(false);
  });
});

describe('invocation requests', () => {
  it('accepts every JSON form of api.md and defaults clip to true', () => {
    expect(JsonInvocationSchema.parse({ frames: ['AAAA', { b64: 'AAAA' }, { s3: 's3://bucket-a/k.jpg' }] })).toBeTruthy();
    expect(JsonInvocationSchema.parse({ clips: [['a', 'b']] })).toBeTruthy();
    expect(JsonInvocationSchema.parse({ images: ['s3://bucket-a/0.jpg'] })).toEqual({ images: ['s3://bucket-a/0.jpg'], clip: true });
  });

  it('refuses clips of one frame, empty lists, unknown keys and malformed S3 URIs', () => {
    for (const bad of [{ clips: [['a']] }, { frames: [] }, { frames: ['a'], extra: 1 }, { frames: [{ s3: 'http://x/y' }] }]) {
      expect(JsonInvocationSchema.safeParse(bad).success).toBe(false);
    }
  });

  it('a bare string is an S3 URI when it looks like one, base64 otherwise', () => {
    expect(resolveFrameRef('s3://bucket-a/dir/0.jpg')).toEqual({ kind: 's3', uri: 's3://bucket-a/dir/0.jpg' });
    expect(resolveFrameRef('/9j/4AAQ')).toEqual({ kind: 'b64', data: '/9j/4AAQ' });
    expect(resolveFrameRef({ s3: 's3://bucket-a/x' })).toEqual({ kind: 's3', uri: 's3://bucket-a/x' });
  });
});

describe('response and manifest', () => {
  it("parses api.md's example response", () => {
    const md = readFileSync(API_MD, 'utf8');
    const example = /`Accept: application\/json` \(default\):\n```json\n([\s\S]*?)\n```/.exec(md)?.[1];
    expect(example).toBeDefined();
    const body = JSON.parse(example!.replace('"name": "…", "sha256": "…"', '"name": "m", "sha256": "s"'));
    expect(InvocationResponseSchema.parse(body).results[0]!.regions[0]!.source).toBe('detector');
  });

  it('refuses manifests with path escapes or non-hex digests', () => {
    const ok = {
      formatVersion: 1,
      name: 'm',
      createdAt: '2026-01-01T00:00:00Z',
      createdBy: 'test',
      imageSize: [240, 360],
      stages: { regions: null, flow: null, pose: null, appearance: null },
      files: { 'density.safetensors': 'a'.repeat(64) },
      source: { kind: 'fit' },
    };
    expect(ManifestSchema.parse(ok).source.details).toEqual({});
    expect(ManifestSchema.safeParse({ ...ok, files: { '../x': 'a'.repeat(64) } }).success).toBe(false);
    expect(ManifestSchema.safeParse({ ...ok, files: { x: 'A'.repeat(64) } }).success).toBe(false);
    expect(ManifestSchema.safeParse({ ...ok, formatVersion: 2 }).success).toBe(false);
  });
});
