import { VadError } from '@vad/core';

/**
 * Every cap that bounds what a hostile model file can cost (README "Safety"), with the
 * environment variable that raises it. Defaults fit a real AI-VAD model with room to spare: its
 * largest file is a density bank (100 000 × 512 float32 ≈ 200 MB) or a CLIP/Mask R-CNN network
 * (< 1 GiB). Read at call time, so a process can raise a cap without a rebuild.
 */
const MiB = 1024 * 1024;

export interface UnpackLimits {
  /** Largest single archive member (VAD_UNPACK_MAX_MEMBER_MB, default 1024). */
  readonly maxEntryBytes: number;
  /** Largest sum of member sizes (VAD_UNPACK_MAX_TOTAL_MB, default 2048). */
  readonly maxTotalBytes: number;
  /** Most members (VAD_UNPACK_MAX_MEMBERS, default 64; a model has fewer than 10). */
  readonly maxEntries: number;
  /** Inflated ÷ compressed bytes allowed once past `ratioAfterBytes` (VAD_UNPACK_MAX_RATIO, default 100). */
  readonly maxRatio: number;
  /** Inflated bytes before the ratio cap applies (VAD_UNPACK_RATIO_AFTER_MB, default 64): small text compresses well. */
  readonly ratioAfterBytes: number;
  /** Free bytes that must stay free on the target's file system after unpacking (VAD_UNPACK_RESERVE_MB, default 64). */
  readonly reserveBytes: number;
}

export interface PickleLimits {
  /** Deepest container nesting (VAD_PICKLE_MAX_DEPTH, default 1000). */
  readonly maxDepth: number;
  /** Most values on the unpickler's stack at once (VAD_PICKLE_MAX_STACK, default 100 000). */
  readonly maxStack: number;
  /** Most elements put into containers, call arguments and memo entries (VAD_PICKLE_MAX_ELEMENTS, default 500 000). */
  readonly maxElements: number;
  /** Largest LONG1/LONG4 integer in bytes (VAD_PICKLE_MAX_LONG_BYTES, default 64). */
  readonly maxLongBytes: number;
  /** Largest single bytes/str value (VAD_PICKLE_MAX_BYTES_MB, default 1024). */
  readonly maxBytes: number;
  /** Largest sum of bytes/str values, decompressed pickles and storages (VAD_PICKLE_MAX_TOTAL_MB, default 2048). */
  readonly maxTotalBytes: number;
}

function envNumber(name: string, fallback: number, scale = 1): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const v = Number(raw);
  if (!Number.isFinite(v) || v <= 0) throw new VadError('bad_argument', `${name}=${raw}: expected a positive number`);
  return Math.floor(v * scale);
}

export function unpackLimits(overrides: Partial<UnpackLimits> = {}): UnpackLimits {
  return {
    maxEntryBytes: envNumber('VAD_UNPACK_MAX_MEMBER_MB', 1024 * MiB, MiB),
    maxTotalBytes: envNumber('VAD_UNPACK_MAX_TOTAL_MB', 2048 * MiB, MiB),
    maxEntries: envNumber('VAD_UNPACK_MAX_MEMBERS', 64),
    maxRatio: envNumber('VAD_UNPACK_MAX_RATIO', 100),
    ratioAfterBytes: envNumber('VAD_UNPACK_RATIO_AFTER_MB', 64 * MiB, MiB),
    reserveBytes: envNumber('VAD_UNPACK_RESERVE_MB', 64 * MiB, MiB),
    ...overrides,
  };
}

export function pickleLimits(overrides: Partial<PickleLimits> = {}): PickleLimits {
  return {
    maxDepth: envNumber('VAD_PICKLE_MAX_DEPTH', 1000),
    maxStack: envNumber('VAD_PICKLE_MAX_STACK', 100_000),
    maxElements: envNumber('VAD_PICKLE_MAX_ELEMENTS', 500_000),
    maxLongBytes: envNumber('VAD_PICKLE_MAX_LONG_BYTES', 64),
    maxBytes: envNumber('VAD_PICKLE_MAX_BYTES_MB', 1024 * MiB, MiB),
    maxTotalBytes: envNumber('VAD_PICKLE_MAX_TOTAL_MB', 2048 * MiB, MiB),
    ...overrides,
  };
}
