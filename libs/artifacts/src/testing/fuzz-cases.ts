import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { tarEnd } from '../tar-writer';
import {
  hostilePickles,
  PICKLE_CONTAINERS,
  rng,
  tarBytes,
  validPickle,
  wrapPickle,
  writeTableArchives,
  type HostileMember,
  type PickleContainer,
} from './hostile';

/**
 * The fuzz suite's cases, written as files under `dir` by the caller's process, so the process
 * that reads them (fuzz-runner.ts) measures only reading. Each names the code it must end with
 * (`expect`), or `any` for random mutations of valid files, which must still end with a stable,
 * non-internal code (or load, when the mutation happened to be harmless).
 */
export interface FuzzCase {
  readonly name: string;
  readonly kind: 'archive' | PickleContainer;
  readonly file: string;
  readonly expect: string | 'any';
  /** Issue 12's table row this case reproduces, if any. */
  readonly row?: string;
}

const file = (path: string, text: string): HostileMember => ({ path, type: 'file', data: Buffer.from(text) });

function structuralArchives(): { name: string; tar: Buffer }[] {
  const ok = file('config.yaml', 'model: {}\n');
  return [
    { name: 'tar-slip', tar: tarBytes([ok, file('../x', 'evil')]) },
    { name: 'tar-slip-deep', tar: tarBytes([file('onnx/../../x', 'evil')]) },
    { name: 'absolute', tar: tarBytes([file('/tmp/vad-fuzz-abs', 'evil')]) },
    { name: 'symlink', tar: tarBytes([{ path: 'config.yaml', type: 'symlink', linkname: '/etc/passwd' }]) },
    { name: 'hardlink', tar: tarBytes([ok, { path: 'density.safetensors', type: 'hardlink', linkname: '/etc/passwd' }]) },
    { name: 'char-device', tar: tarBytes([{ path: 'dev', type: 'char-device' }]) },
    { name: 'fifo', tar: tarBytes([{ path: 'pipe', type: 'fifo' }]) },
    { name: 'duplicate', tar: tarBytes([ok, ok]) },
    { name: 'unknown-member', tar: tarBytes([file('payload.sh', '#!/bin/sh\n')]) },
    { name: 'unlisted-after-manifest', tar: tarBytes([file('manifest.json', '{"files":{}}'), file('onnx/pose.onnx', 'x')]) },
    { name: 'huge-manifest-claim', tar: tarBytes([{ path: 'manifest.json', type: 'file', size: 8 * 1024 * 1024 }], false) },
    { name: 'huge-member-claim', tar: tarBytes([{ path: 'density.safetensors', type: 'file', size: 8 * 1024 ** 3 - 1 }], false) },
    { name: 'truncated-member', tar: tarBytes([{ path: 'density.safetensors', type: 'file', size: 1_000_000, data: Buffer.alloc(4096, 1) }], false) },
    { name: 'no-end-marker', tar: tarBytes([ok], false) },
    { name: 'junk-after-end', tar: Buffer.concat([tarBytes([ok]), Buffer.from('trailing junk')]) },
    { name: 'not-a-tar', tar: Buffer.from('this is not a tar archive at all, just text'.repeat(20)) },
  ];
}

/** Writes every case to `dir`; `valid` is a real packed model.tar.gz to mutate. */
export async function writeFuzzCases(dir: string, seed: number, valid: string, mutations = 100): Promise<FuzzCase[]> {
  await mkdir(dir, { recursive: true });
  const random = rng(seed);
  const cases: FuzzCase[] = [];
  const add = async (c: Omit<FuzzCase, 'file'>, bytes: Buffer) => {
    const f = join(dir, `${String(cases.length).padStart(3, '0')}-${c.name}.${c.kind === 'archive' ? 'tar.gz' : c.kind}`);
    await writeFile(f, bytes);
    cases.push({ ...c, file: f });
  };
  for (const a of await writeTableArchives(dir)) cases.push({ name: a.name, kind: 'archive', file: a.path, expect: 'unsafe_archive', row: a.name });
  for (const s of structuralArchives()) await add({ name: s.name, kind: 'archive', expect: 'unsafe_archive' }, gzipSync(s.tar));
  await add({ name: 'not-gzip', kind: 'archive', expect: 'unsafe_archive' }, Buffer.from('plain text, not gzip'));
  const rows: Record<string, string> = {
    'nested-lists': '200 000 nested containers',
    'million-appends': '1 000 000 APPENDs',
    'long4-flood': '2 MiB of LONG4 opcodes',
  };
  for (const p of hostilePickles()) {
    for (const c of PICKLE_CONTAINERS) {
      const expect = p.name === 'os-system' ? 'pickle_refused' : 'unsafe_pickle';
      const row = rows[p.name] ? `${rows[p.name]} (${c})` : undefined;
      await add({ name: p.name, kind: c, expect, ...(row ? { row } : {}) }, wrapPickle(p.bytes, c));
    }
  }
  const gz = await readFile(valid);
  const tar = gunzipSync(gz);
  for (let i = 0; i < mutations; i++) {
    const how = Math.floor(random() * 5);
    let bytes: Buffer;
    if (how === 0) {
      bytes = Buffer.from(gz);
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) bytes[Math.floor(random() * bytes.length)] ^= 1 + Math.floor(random() * 255);
    } else if (how === 1) {
      bytes = gz.subarray(0, Math.floor(random() * gz.length));
    } else if (how === 2) {
      const t = Buffer.from(tar);
      // Flip bytes in the first blocks, where the headers of the small members are.
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) t[Math.floor(random() * Math.min(t.length, 8192))] ^= 1 + Math.floor(random() * 255);
      bytes = gzipSync(t);
    } else if (how === 3) {
      bytes = gzipSync(
        Buffer.concat([tar.subarray(0, tar.length - 1024), Buffer.alloc(Math.floor(random() * 64 * 1024), Math.floor(random() * 256)), tarEnd()]),
      );
    } else {
      bytes = Buffer.concat([gz, Buffer.from(Array.from({ length: 1 + Math.floor(random() * 64) }, () => Math.floor(random() * 256)))]);
    }
    await add({ name: `archive-mutation-${how}`, kind: 'archive', expect: 'any' }, bytes);
  }
  for (let i = 0; i < mutations; i++) {
    const p = validPickle(random);
    const how = Math.floor(random() * 3);
    let bytes: Buffer;
    if (how === 0) {
      bytes = Buffer.from(p);
      for (let k = 0; k < 1 + Math.floor(random() * 4); k++) bytes[2 + Math.floor(random() * (bytes.length - 2))] = Math.floor(random() * 256);
    } else if (how === 1) {
      bytes = p.subarray(0, 2 + Math.floor(random() * (p.length - 2)));
    } else {
      const at = 2 + Math.floor(random() * (p.length - 3));
      const junk = Buffer.from(Array.from({ length: 1 + Math.floor(random() * 16) }, () => Math.floor(random() * 256)));
      bytes = Buffer.concat([p.subarray(0, at), junk, p.subarray(at)]);
    }
    const c = PICKLE_CONTAINERS[Math.floor(random() * PICKLE_CONTAINERS.length)]!;
    await add({ name: `pickle-mutation-${how}`, kind: c, expect: 'any' }, wrapPickle(bytes, c));
  }
  return cases;
}
