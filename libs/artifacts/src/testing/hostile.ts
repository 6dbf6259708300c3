import { createWriteStream } from 'node:fs';
import { once } from 'node:events';
import { crc32, deflateSync, gzipSync } from 'node:zlib';
import { tarEnd, tarHeader, tarPadding, type TarHeaderFields } from '../tar-writer';

/**
 * Hostile model files, generated (no Python): pickles built opcode by opcode, wrapped the ways
 * anomalib files come (plain pickle, torch.save zip as .pth/.ckpt, joblib raw/gzip/zlib), and
 * tar.gz archives — including issue 12's table rows, streamed so that "10 GB of compressed zeros"
 * costs ~10 MB on disk and a fraction of a second to write (concatenated gzip members of zeros).
 */

/** mulberry32: a small seeded generator, so every fuzz case can be replayed from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Pickle opcodes, appended in order. */
export class PickleWriter {
  private buf = Buffer.alloc(1 << 16);
  private length = 0;
  private op(...bytes: number[]): this {
    return this.raw(bytes);
  }
  raw(b: Uint8Array | number[]): this {
    if (this.length + b.length > this.buf.length) {
      const grown = Buffer.alloc(Math.max(this.buf.length * 2, this.length + b.length));
      this.buf.copy(grown, 0, 0, this.length);
      this.buf = grown;
    }
    this.buf.set(b, this.length);
    this.length += b.length;
    return this;
  }
  proto(v = 4): this {
    return this.op(0x80, v);
  }
  stop(): this {
    return this.op(0x2e);
  }
  mark(): this {
    return this.op(0x28);
  }
  emptyList(): this {
    return this.op(0x5d);
  }
  emptyDict(): this {
    return this.op(0x7d);
  }
  none(): this {
    return this.op(0x4e);
  }
  pop(): this {
    return this.op(0x30);
  }
  append(): this {
    return this.op(0x61);
  }
  appends(): this {
    return this.op(0x65);
  }
  setitem(): this {
    return this.op(0x73);
  }
  tuple(): this {
    return this.op(0x74);
  }
  reduce(): this {
    return this.op(0x52);
  }
  int(v: number): this {
    const b = Buffer.alloc(5);
    b[0] = 0x4a;
    b.writeInt32LE(v, 1);
    return this.raw(b);
  }
  str(s: string): this {
    const body = Buffer.from(s, 'utf8');
    const h = Buffer.alloc(5);
    h[0] = 0x58;
    h.writeUInt32LE(body.length, 1);
    return this.raw(h).raw(body);
  }
  put(i: number): this {
    const b = Buffer.alloc(5);
    b[0] = 0x72;
    b.writeUInt32LE(i, 1);
    return this.raw(b);
  }
  get(i: number): this {
    const b = Buffer.alloc(5);
    b[0] = 0x6a;
    b.writeUInt32LE(i, 1);
    return this.raw(b);
  }
  long4(n: number, fill = 0x7f): this {
    const h = Buffer.alloc(5);
    h[0] = 0x8b;
    h.writeUInt32LE(n, 1);
    return this.raw(h).raw(Buffer.alloc(n, fill));
  }
  /** A length header without the bytes it claims (BINBYTES, 0x42, or BINBYTES8, 0x8e). */
  bytesClaim(op: 0x42 | 0x8e, n: number): this {
    const h = Buffer.alloc(op === 0x42 ? 5 : 9);
    h[0] = op;
    if (op === 0x42) h.writeUInt32LE(n, 1);
    else h.writeBigUInt64LE(BigInt(n), 1);
    return this.raw(h);
  }
  global(module: string, name: string): this {
    return this.raw(Buffer.from(`c${module}\n${name}\n`, 'latin1'));
  }
  bytes(): Buffer {
    return Buffer.from(this.buf.subarray(0, this.length));
  }
}

export type HostilePickle = { readonly name: string; readonly bytes: Buffer };

/** Every hostile pickle kind of issue 12 (and a few more), each small on disk. */
export function hostilePickles(scale = 1): HostilePickle[] {
  const n = (v: number) => Math.max(2, Math.round(v * scale));
  const out: HostilePickle[] = [];
  // 200 000 nested lists built top-down through the memo (the stack stays 2 high).
  {
    const w = new PickleWriter().proto().emptyList().put(0);
    for (let i = 1; i < n(200_000); i++) w.emptyList().put(i).append().pop().get(i);
    out.push({ name: 'nested-lists', bytes: w.pop().get(0).stop().bytes() });
  }
  // 200 000 nested lists built bottom-up (a 200 000-high stack).
  {
    const w = new PickleWriter().proto();
    for (let i = 0; i < n(200_000); i++) w.emptyList();
    for (let i = 1; i < n(200_000); i++) w.append();
    out.push({ name: 'nested-lists-bottom-up', bytes: w.stop().bytes() });
  }
  // Nested dicts through SETITEM, top-down.
  {
    const w = new PickleWriter().proto().emptyDict().put(0);
    for (let i = 1; i < n(50_000); i++) w.str('k').emptyDict().put(i).setitem().pop().get(i);
    out.push({ name: 'nested-dicts', bytes: w.pop().get(0).stop().bytes() });
  }
  // 1 000 000 APPENDs.
  {
    const w = new PickleWriter().proto().emptyList();
    for (let i = 0; i < n(1_000_000); i++) w.none().append();
    out.push({ name: 'million-appends', bytes: w.stop().bytes() });
  }
  // One APPENDS of 1 000 000 items (spread as arguments, this overflowed the call stack).
  {
    const w = new PickleWriter().proto().emptyList().mark();
    for (let i = 0; i < n(1_000_000); i++) w.none();
    out.push({ name: 'million-item-appends', bytes: w.appends().stop().bytes() });
  }
  // 2 MiB of LONG4 opcodes (BigInt decoding is quadratic in the length).
  {
    const w = new PickleWriter().proto();
    const each = 4096;
    for (let i = 0; i < Math.max(1, Math.floor(n(2 * 1024 * 1024) / each)); i++) w.long4(each).pop();
    out.push({ name: 'long4-flood', bytes: w.none().stop().bytes() });
  }
  out.push({
    name: 'long4-huge-claim',
    bytes: new PickleWriter()
      .proto()
      .raw(Buffer.from([0x8b, 0xff, 0xff, 0xff, 0x7f]))
      .stop()
      .bytes(),
  });
  out.push({ name: 'binbytes-4g-claim', bytes: new PickleWriter().proto().bytesClaim(0x42, 0xffffffff).stop().bytes() });
  out.push({
    name: 'binbytes8-huge-claim',
    bytes: new PickleWriter()
      .proto()
      .bytesClaim(0x8e, 2 ** 50)
      .stop()
      .bytes(),
  });
  // "Billion laughs": each list holds the previous one twice; 2^60 values for a recursive walk.
  {
    const w = new PickleWriter().proto().emptyList().put(0);
    for (let i = 1; i <= 60; i++)
      w.pop()
        .emptyList()
        .mark()
        .get(i - 1)
        .get(i - 1)
        .appends()
        .put(i);
    out.push({ name: 'billion-laughs', bytes: w.stop().bytes() });
  }
  // A list that holds itself.
  out.push({ name: 'cycle', bytes: new PickleWriter().proto().emptyList().put(0).get(0).append().stop().bytes() });
  // The same 50 000-item tuple passed to an allowed call again and again (quadratic if copied free).
  {
    const w = new PickleWriter().proto().global('collections', 'OrderedDict').put(0).mark();
    for (let i = 0; i < n(50_000); i++) w.none();
    w.tuple().put(1).pop().pop();
    for (let i = 0; i < 1000; i++) w.get(0).get(1).reduce().pop();
    out.push({ name: 'repeated-reduce', bytes: w.none().stop().bytes() });
  }
  // 200 000 values left on the stack.
  {
    const w = new PickleWriter().proto();
    for (let i = 0; i < n(200_000); i++) w.int(i);
    out.push({ name: 'stack-flood', bytes: w.stop().bytes() });
  }
  out.push({
    name: 'os-system',
    bytes: new PickleWriter()
      .proto()
      .global('posix', 'system')
      .str('touch /tmp/pwned')
      .raw(Buffer.from([0x85]))
      .reduce()
      .stop()
      .bytes(),
  });
  return out;
}

/** A plain, valid pickle: a state-dict-like dict of lists, ints and strings. */
export function validPickle(random: () => number): Buffer {
  const w = new PickleWriter().proto().emptyDict().put(0).mark();
  const keys = 1 + Math.floor(random() * 8);
  for (let k = 0; k < keys; k++) {
    w.str(`layer${k}.weight`)
      .emptyList()
      .put(k + 1)
      .mark();
    const len = Math.floor(random() * 16);
    for (let i = 0; i < len; i++) w.int(Math.floor(random() * 1e6));
    w.appends();
  }
  return w
    .raw(Buffer.from([0x75]))
    .stop()
    .bytes(); // SETITEMS
}

/** A stored (uncompressed) zip, as torch.save writes one: `<prefix>/data.pkl` and friends. */
export function storedZip(files: Record<string, Uint8Array>): Buffer {
  const locals: Buffer[] = [];
  const central: Buffer[] = [];
  let offset = 0;
  for (const [name, data] of Object.entries(files)) {
    const nameBytes = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBytes.length, 26);
    const entry = Buffer.alloc(46);
    entry.writeUInt32LE(0x02014b50, 0);
    entry.writeUInt16LE(20, 4);
    entry.writeUInt16LE(20, 6);
    entry.writeUInt32LE(crc, 16);
    entry.writeUInt32LE(data.length, 20);
    entry.writeUInt32LE(data.length, 24);
    entry.writeUInt16LE(nameBytes.length, 28);
    entry.writeUInt32LE(offset, 42);
    locals.push(local, nameBytes, Buffer.from(data));
    central.push(entry, nameBytes);
    offset += 30 + nameBytes.length + data.length;
  }
  const cd = Buffer.concat(central);
  const eocd = Buffer.alloc(22);
  eocd.writeUInt32LE(0x06054b50, 0);
  eocd.writeUInt16LE(Object.keys(files).length, 8);
  eocd.writeUInt16LE(Object.keys(files).length, 10);
  eocd.writeUInt32LE(cd.length, 12);
  eocd.writeUInt32LE(offset, 16);
  return Buffer.concat([...locals, cd, eocd]);
}

export type PickleContainer = 'pkl' | 'pth' | 'ckpt' | 'joblib' | 'joblib-gzip' | 'joblib-zlib';
export const PICKLE_CONTAINERS: readonly PickleContainer[] = ['pkl', 'pth', 'ckpt', 'joblib', 'joblib-gzip', 'joblib-zlib'];

/** The pickle as a file of that kind would hold it. */
export function wrapPickle(pickle: Buffer, container: PickleContainer): Buffer {
  switch (container) {
    case 'pkl':
    case 'joblib':
      return pickle;
    case 'pth':
    case 'ckpt':
      return storedZip({ 'archive/data.pkl': pickle, 'archive/version': Buffer.from('3\n') });
    case 'joblib-gzip':
      return gzipSync(pickle, { level: 1 });
    case 'joblib-zlib':
      return deflateSync(pickle, { level: 1 });
  }
}

/** tar bytes of the members (file data given, or `size` zeros claimed for the header only). */
export type HostileMember = TarHeaderFields & { data?: Buffer };

export function tarBytes(members: readonly HostileMember[], end = true): Buffer {
  const parts: Buffer[] = [];
  for (const m of members) {
    const data = m.data ?? Buffer.alloc(0);
    parts.push(tarHeader({ ...m, size: m.type === 'file' ? (m.size ?? data.length) : 0 }));
    if (m.type === 'file') parts.push(data, tarPadding(data.length));
  }
  if (end) parts.push(tarEnd());
  return Buffer.concat(parts);
}

const ZERO_CHUNK = 64 * 1024 * 1024;
let zeroMember: Buffer | undefined;

/** Writes gzip members that inflate to `bytes` zeros, without holding or writing them. */
async function writeZeros(out: NodeJS.WritableStream, bytes: number): Promise<void> {
  zeroMember ??= gzipSync(Buffer.alloc(ZERO_CHUNK), { level: 9 });
  let left = bytes;
  for (; left >= ZERO_CHUNK; left -= ZERO_CHUNK) if (!out.write(zeroMember)) await once(out, 'drain');
  if (left > 0) out.write(gzipSync(Buffer.alloc(left), { level: 9 }));
}

/** A tar.gz: `head` gzipped, then gzip members of zeros (concatenated gzip is one stream to gunzip). */
export async function writeStreamedTarGz(path: string, pieces: readonly (Buffer | { zeros: number })[]): Promise<void> {
  const out = createWriteStream(path);
  for (const p of pieces) {
    if (Buffer.isBuffer(p)) out.write(gzipSync(p, { level: 1 }));
    else await writeZeros(out, p.zeros);
  }
  out.end();
  await once(out, 'close');
}

const GB = 1e9;

/** Issue 12's two archive rows, written to `dir`; returns name → path. */
export async function writeTableArchives(dir: string): Promise<{ name: string; path: string }[]> {
  const trailing = `${dir}/trailing-10gb-zeros.tar.gz`;
  // A small valid-looking tar, then 10 GB of zeros after its end marker.
  await writeStreamedTarGz(trailing, [tarBytes([{ path: 'config.yaml', type: 'file', data: Buffer.from('model: {}\n') }]), { zeros: 10 * GB }]);
  const ten = `${dir}/ten-1gb-members.tar.gz`;
  const pieces: (Buffer | { zeros: number })[] = [];
  for (let i = 0; i < 10; i++) {
    pieces.push(tarHeader({ path: `blob-${i}.bin`, type: 'file', size: GB }), { zeros: GB });
  }
  pieces.push(tarEnd());
  await writeStreamedTarGz(ten, pieces);
  const tenNamed = `${dir}/ten-1gb-model-named-members.tar.gz`;
  const named = ['density.safetensors', 'onnx/regions.onnx', 'onnx/flow.onnx', 'onnx/pose.onnx', 'onnx/appearance.onnx'];
  const p2: (Buffer | { zeros: number })[] = [];
  for (let i = 0; i < 10; i++) p2.push(tarHeader({ path: named[i % named.length]!, type: 'file', size: GB }), { zeros: GB });
  p2.push(tarEnd());
  await writeStreamedTarGz(tenNamed, p2);
  return [
    { name: 'tar + 10 GB trailing gzip zeros', path: trailing },
    { name: 'ten 1 GB members', path: ten },
    { name: 'ten 1 GB members named as model files', path: tenNamed },
  ];
}
