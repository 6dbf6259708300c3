import { VadError } from '@vad/core';
import { pickleLimits, type PickleLimits } from '../safety/limits';
import { checkPickleShape } from './pickle-shape';

/**
 * A restricted unpickler (pickle protocols 2–5) that never executes anything: every GLOBAL must be
 * in the caller's allow-list and maps to a TypeScript stand-in; any other global (os.system,
 * builtins.eval, subprocess.Popen, …) is refused with VadError('pickle_refused') the moment it is
 * named, before any REDUCE could call it. torch.save's data.pkl and joblib files only need
 * containers, numbers, strings, bytes and a handful of rebuild functions (toolchain-notes §5).
 *
 * A hostile pickle is bounded too (VadError('unsafe_pickle') naming the cap and its variable):
 * the stack and memo are explicit (no recursion here), and every opcode costs O(1) plus what it
 * charges against the caps — elements put into containers or passed to calls, bytes of strings,
 * LONGs and buffers, stack height — so time and memory stay linear in the input; the result's
 * nesting depth, cycles and expanded size are checked (pickle-shape.ts) before any caller walks it.
 */

/** A Python tuple: an array, marked so callers can tell it from a list. */
export type PickleTuple = readonly unknown[] & { readonly __tuple: true };

export function tuple(items: unknown[]): PickleTuple {
  return Object.assign(items, { __tuple: true as const });
}

/** Stand-in for an allowed Python callable or class. */
export interface PickleGlobal {
  /** REDUCE: f(*args). `budget` charges what the stand-in allocates (a tensor gathered from a storage). */
  call?(args: unknown[], budget: PickleBudget): unknown;
  /** NEWOBJ: cls.__new__(cls, *args); the result may have `__setstate__` for BUILD. */
  construct?(args: unknown[]): unknown;
}

/** An object built by BUILD can read bytes that follow it in the stream (joblib's inline arrays). */
export interface Buildable {
  __setstate__(state: unknown, reader: ByteReader): void;
}

export interface UnpickleOptions {
  /** Allowed globals, keyed 'module.name'. Everything else is refused. */
  readonly globals: ReadonlyMap<string, PickleGlobal>;
  /**
   * Globals outside `globals` that may still stand in as inert placeholders (a Lightning
   * checkpoint's hyper-parameter and pre-processor objects): return one or undefined to refuse.
   */
  readonly fallback?: (key: string) => PickleGlobal | undefined;
  /** BINPERSID: resolves a persistent id (torch storages). Absent: persistent ids are refused. */
  readonly persistentLoad?: (pid: unknown) => unknown;
  /** Names the file in errors. */
  readonly source?: string;
  /** Overrides of the caps (defaults from VAD_PICKLE_* variables, safety/limits.ts). */
  readonly limits?: Partial<PickleLimits>;
}

/** What a pickle may still allocate; a refusal names the cap that was hit. */
export class PickleBudget {
  elements = 0;
  bytes = 0;
  constructor(
    readonly limits: PickleLimits,
    readonly source: string,
  ) {}
  refuse(what: string, cap: number, variable: string): never {
    throw new VadError(
      'unsafe_pickle',
      `${this.source}: ${what}, more than the ${cap} allowed (${variable} raises it); refusing the pickle (nothing was executed)`,
      { file: this.source, limit: variable },
    );
  }
  /** `n` more container elements, call arguments or memo entries. */
  spend(n: number): void {
    this.elements += n;
    if (this.elements > this.limits.maxElements) this.refuse(`${this.elements} elements`, this.limits.maxElements, 'VAD_PICKLE_MAX_ELEMENTS');
  }
  /** `n` more bytes of strings, buffers or arrays. */
  allocate(n: number, what: string): void {
    if (n > this.limits.maxBytes) this.refuse(`${what} of ${n} bytes`, this.limits.maxBytes, 'VAD_PICKLE_MAX_BYTES_MB');
    this.bytes += n;
    if (this.bytes > this.limits.maxTotalBytes) this.refuse(`${this.bytes} bytes allocated in all`, this.limits.maxTotalBytes, 'VAD_PICKLE_MAX_TOTAL_MB');
  }
}

/** Bytes a call or BUILD hands over directly (strings and buffers among its arguments). */
function payloadBytes(args: unknown): number {
  if (!Array.isArray(args)) return args instanceof Uint8Array ? args.byteLength : 0;
  let n = 0;
  for (const a of args) n += a instanceof Uint8Array ? a.byteLength : typeof a === 'string' ? a.length : 0;
  return n;
}

export class ByteReader {
  pos = 0;
  // One view for the reader's life: a DataView per u32 made memo-heavy pickles several times slower.
  private readonly dv: DataView;
  constructor(
    readonly bytes: Uint8Array,
    private readonly source: string,
  ) {
    this.dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }
  private need(n: number): void {
    if (n < 0 || this.pos + n > this.bytes.byteLength) {
      throw new VadError('unsupported_format', `${this.source}: truncated pickle (needs ${n} bytes at offset ${this.pos})`);
    }
  }
  take(n: number): Uint8Array {
    this.need(n);
    const out = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }
  // Fixed-size reads straight from the view: a subarray per opcode argument cost more than the opcode.
  u8(): number {
    this.need(1);
    return this.bytes[this.pos++]!;
  }
  u16(): number {
    this.need(2);
    const v = this.dv.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.dv.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.dv.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): number {
    this.need(8);
    const v = this.dv.getBigUint64(this.pos, true);
    this.pos += 8;
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new VadError('unsupported_format', `${this.source}: length ${v} too large`);
    return Number(v);
  }
  f64be(): number {
    this.need(8);
    const v = this.dv.getFloat64(this.pos, false);
    this.pos += 8;
    return v;
  }
  line(): string {
    const end = this.bytes.indexOf(0x0a, this.pos);
    if (end < 0) throw new VadError('unsupported_format', `${this.source}: truncated pickle (unterminated line)`);
    const s = Buffer.from(this.bytes.subarray(this.pos, end)).toString('utf8');
    this.pos = end + 1;
    return s;
  }
  utf8(n: number): string {
    return Buffer.from(this.take(n)).toString('utf8');
  }
}

/** Signed little-endian two's-complement integer (LONG1/LONG4); a number when it is safe. Quadratic in its length: callers cap it. */
function decodeLong(b: Uint8Array): number | bigint {
  if (b.length === 0) return 0;
  let v = 0n;
  for (let i = b.length - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
  if (b[b.length - 1]! & 0x80) v -= 1n << BigInt(8 * b.length);
  return v >= BigInt(Number.MIN_SAFE_INTEGER) && v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : v;
}

const MARK = Symbol('mark');
export interface GlobalRef {
  readonly __global: string;
  readonly impl: PickleGlobal;
}
export const isGlobal = (v: unknown): v is GlobalRef => typeof v === 'object' && v !== null && '__global' in v;

/** Unpickles one pickle from `reader` (which may hold more data after STOP, as joblib files do). */
export function unpickle(reader: ByteReader, options: UnpickleOptions): unknown {
  const source = options.source ?? 'pickle';
  const limits = pickleLimits(options.limits);
  const budget = new PickleBudget(limits, source);
  const stack: unknown[] = [];
  // Python's memo is a dict; pickles number it densely from 0, so an array (holes for the rest).
  const memo: unknown[] = [];
  let memoCount = 0;
  const NOT_STORED = undefined;
  const push = (v: unknown): void => {
    if (stack.length >= limits.maxStack) budget.refuse(`a stack of ${stack.length + 1} values`, limits.maxStack, 'VAD_PICKLE_MAX_STACK');
    stack.push(v);
  };
  const remember = (i: number, v: unknown): void => {
    if (memo[i] === NOT_STORED) {
      budget.spend(1);
      memoCount += 1;
    }
    // A value stored as undefined cannot happen: pickles hold None as null.
    memo[i] = v;
  };
  const sized = (n: number, what: string): number => {
    budget.allocate(n, what);
    return n;
  };
  const long = (n: number): Uint8Array => {
    if (n > limits.maxLongBytes) budget.refuse(`a ${n}-byte integer`, limits.maxLongBytes, 'VAD_PICKLE_MAX_LONG_BYTES');
    return reader.take(n);
  };
  const bad = (why: string) => new VadError('unsupported_format', `${source}: ${why}`);
  const pop = (): unknown => {
    if (stack.length === 0) throw bad('pickle stack underflow');
    const v = stack.pop();
    if (v === MARK) throw bad('unexpected MARK');
    return v;
  };
  const top = (): unknown => {
    if (stack.length === 0) throw bad('pickle stack underflow');
    return stack[stack.length - 1];
  };
  const popMark = (): unknown[] => {
    const i = stack.lastIndexOf(MARK);
    if (i < 0) throw bad('MARK not found');
    const items = stack.splice(i);
    items.shift();
    budget.spend(items.length);
    return items;
  };
  const resolveGlobal = (module: string, name: string): GlobalRef => {
    const key = `${module}.${name}`;
    const impl = options.globals.get(key) ?? options.fallback?.(key);
    if (!impl) {
      // os.system pickles as posix.system (nt.system on Windows): name both so the message is recognisable.
      const alias = module === 'posix' || module === 'nt' ? ` (os.${name})` : '';
      throw new VadError(
        'pickle_refused',
        `pickle global ${key}${alias} is not allowed: ${source} asks to call it, and vad-serve only loads tensors, arrays and plain containers (nothing was executed)`,
        { global: key, file: source },
      );
    }
    return { __global: key, impl };
  };
  const setItem = (d: unknown, k: unknown, v: unknown) => {
    if (!(d instanceof Map)) throw bad('SETITEM on a non-dict');
    d.set(k, v);
  };

  for (;;) {
    const op = reader.u8();
    switch (op) {
      case 0x80: // PROTO
        if (reader.u8() > 5) throw bad('pickle protocol newer than 5');
        break;
      case 0x95: // FRAME: framing is only a read-ahead hint
        reader.u64();
        break;
      case 0x2e: {
        // STOP
        const result = pop();
        checkPickleShape(result, budget);
        return result;
      }
      case 0x28: // MARK
        push(MARK);
        break;
      case 0x30: // POP
        stack.pop();
        break;
      case 0x31: // POP_MARK
        popMark();
        break;
      case 0x32: // DUP
        push(top());
        break;
      case 0x7d: // EMPTY_DICT
        push(new Map());
        break;
      case 0x5d: // EMPTY_LIST
        push([]);
        break;
      case 0x29: // EMPTY_TUPLE
        push(tuple([]));
        break;
      case 0x74: // TUPLE
        push(tuple(popMark()));
        break;
      case 0x85: // TUPLE1
        push(tuple([pop()]));
        break;
      case 0x86: {
        const b = pop();
        push(tuple([pop(), b]));
        break;
      }
      case 0x87: {
        const c = pop();
        const b = pop();
        push(tuple([pop(), b, c]));
        break;
      }
      case 0x8f: // EMPTY_SET
        push(new Set());
        break;
      case 0x90: {
        // ADDITEMS
        const items = popMark();
        const s = top();
        if (!(s instanceof Set)) throw bad('ADDITEMS on a non-set');
        for (const i of items) s.add(i);
        break;
      }
      case 0x91: // FROZENSET
        push(new Set(popMark()));
        break;
      case 0x4a: // BININT
        push(reader.i32());
        break;
      case 0x4b: // BININT1
        push(reader.u8());
        break;
      case 0x4d: // BININT2
        push(reader.u16());
        break;
      case 0x8a: // LONG1
        push(decodeLong(long(reader.u8())));
        break;
      case 0x8b: // LONG4
        push(decodeLong(long(reader.u32())));
        break;
      case 0x47: // BINFLOAT
        push(reader.f64be());
        break;
      case 0x4e: // NONE
        push(null);
        break;
      case 0x88: // NEWTRUE
        push(true);
        break;
      case 0x89: // NEWFALSE
        push(false);
        break;
      case 0x58: // BINUNICODE
        push(reader.utf8(sized(reader.u32(), 'a string')));
        break;
      case 0x8c: // SHORT_BINUNICODE
        push(reader.utf8(reader.u8()));
        break;
      case 0x8d: // BINUNICODE8
        push(reader.utf8(sized(reader.u64(), 'a string')));
        break;
      case 0x54: // BINSTRING (Python 2 str): latin-1, as Python 3 decodes it with encoding='latin1'
        push(Buffer.from(reader.take(sized(reader.i32(), 'a string'))).toString('latin1'));
        break;
      case 0x55: // SHORT_BINSTRING
        push(Buffer.from(reader.take(reader.u8())).toString('latin1'));
        break;
      case 0x42: // BINBYTES
        push(new Uint8Array(reader.take(sized(reader.u32(), 'a bytes value'))));
        break;
      case 0x43: // SHORT_BINBYTES
        push(new Uint8Array(reader.take(reader.u8())));
        break;
      case 0x8e: // BINBYTES8
      case 0x96: // BYTEARRAY8
        push(new Uint8Array(reader.take(sized(reader.u64(), 'a bytes value'))));
        break;
      case 0x63: {
        // GLOBAL
        const module = reader.line();
        push(resolveGlobal(module, reader.line()));
        break;
      }
      case 0x93: {
        // STACK_GLOBAL
        const name = pop();
        const module = pop();
        if (typeof module !== 'string' || typeof name !== 'string') throw bad('STACK_GLOBAL needs two strings');
        push(resolveGlobal(module, name));
        break;
      }
      case 0x52: {
        // REDUCE
        const args = pop();
        const f = pop();
        if (!isGlobal(f) || !f.impl.call) throw bad(`REDUCE on ${isGlobal(f) ? f.__global : 'a non-callable'}`);
        if (!Array.isArray(args)) throw bad('REDUCE arguments are not a tuple');
        // Charged per call: a memoised argument tuple may be passed again and again.
        budget.spend(args.length);
        budget.allocate(payloadBytes(args), 'call arguments');
        push(f.impl.call([...args], budget));
        break;
      }
      case 0x81: {
        // NEWOBJ
        const args = pop();
        const cls = pop();
        if (!isGlobal(cls) || !cls.impl.construct) throw bad(`NEWOBJ on ${isGlobal(cls) ? cls.__global : 'a non-class'}`);
        if (!Array.isArray(args)) throw bad('NEWOBJ arguments are not a tuple');
        budget.spend(args.length);
        push(cls.impl.construct([...(args as unknown[])]));
        break;
      }
      case 0x92: {
        // NEWOBJ_EX
        pop(); // kwargs: none of the allowed classes take any
        const args = pop();
        const cls = pop();
        if (!isGlobal(cls) || !cls.impl.construct) throw bad(`NEWOBJ_EX on ${isGlobal(cls) ? cls.__global : 'a non-class'}`);
        if (!Array.isArray(args)) throw bad('NEWOBJ_EX arguments are not a tuple');
        budget.spend(args.length);
        push(cls.impl.construct([...(args as unknown[])]));
        break;
      }
      case 0x62: {
        // BUILD
        const state = pop();
        const obj = top();
        budget.spend(Array.isArray(state) ? state.length : state instanceof Map ? state.size : 1);
        budget.allocate(payloadBytes(state), 'object state');
        if (typeof obj === 'object' && obj !== null && typeof (obj as Partial<Buildable>).__setstate__ === 'function') {
          (obj as Buildable).__setstate__(state, reader);
        } else if (obj instanceof Map && state instanceof Map) {
          for (const [k, v] of state) obj.set(k, v);
        } else if (typeof obj === 'object' && obj !== null) {
          // Attributes set by a plain __dict__ update (e.g. a torch Parameter's hooks): kept aside.
          Object.assign(obj, { __state__: state });
        } else {
          throw bad('BUILD on a value that has no state');
        }
        break;
      }
      case 0x51: {
        // BINPERSID
        const pid = pop();
        if (!options.persistentLoad) throw bad('persistent ids are not supported in this file');
        push(options.persistentLoad(pid));
        break;
      }
      case 0x71: // BINPUT
        remember(reader.u8(), top());
        break;
      case 0x72: // LONG_BINPUT
        remember(reader.u32(), top());
        break;
      case 0x94: // MEMOIZE
        remember(memoCount, top());
        break;
      case 0x68: // BINGET
      case 0x6a: {
        // LONG_BINGET
        const i = op === 0x68 ? reader.u8() : reader.u32();
        if (memo[i] === NOT_STORED) throw bad(`memo ${i} was never stored`);
        push(memo[i]);
        break;
      }
      case 0x73: {
        // SETITEM
        const v = pop();
        const k = pop();
        budget.spend(1);
        setItem(top(), k, v);
        break;
      }
      case 0x75: {
        // SETITEMS
        const items = popMark();
        const d = top();
        for (let i = 0; i + 1 < items.length; i += 2) setItem(d, items[i], items[i + 1]);
        break;
      }
      case 0x61: {
        // APPEND
        const v = pop();
        const l = top();
        if (!Array.isArray(l)) throw bad('APPEND on a non-list');
        budget.spend(1);
        l.push(v);
        break;
      }
      case 0x65: {
        // APPENDS
        const items = popMark();
        const l = top();
        if (!Array.isArray(l)) throw bad('APPENDS on a non-list');
        // One by one: spreading a million items as arguments overflows the call stack.
        for (const item of items) l.push(item);
        break;
      }
      default:
        throw bad(
          `unsupported pickle opcode 0x${op.toString(16)} at offset ${reader.pos - 1} (protocol 0/1 text pickles and out-of-band buffers are not supported)`,
        );
    }
  }
}
