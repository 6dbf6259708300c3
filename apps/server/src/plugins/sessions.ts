import { randomUUID } from 'node:crypto';

/**
 * Per-stream state for frame-by-frame scoring: the previous frame of each SageMaker stateful session
 * (X-Amzn-SageMaker-Session-Id) or `stream=<id>` custom attribute. The container owns all session
 * state, TTL and eviction (sagemaker-notes §1.10), so the store is bounded three ways: count, TTL
 * (absolute from NEW_SESSION for sessions, idle for streams) and bytes held; the least recently
 * used entry goes first.
 */
export interface SessionLimits {
  maxCount: number;
  ttlMs: number;
  maxBytes: number;
}

interface Entry {
  prev: Uint8Array | undefined;
  expiresAt: number;
  /** Only sessions created with NEW_SESSION; streams appear on first use. */
  kind: 'session' | 'stream';
}

export class SessionStore {
  private readonly entries = new Map<string, Entry>();
  private bytes = 0;
  evictions = 0;

  constructor(
    private readonly limits: SessionLimits,
    private readonly now: () => number = Date.now,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  get bytesHeld(): number {
    return this.bytes;
  }

  /** A new SageMaker session: its id and expiry (whole seconds, as the NewSessionId pattern demands). */
  create(): { id: string; expires: Date } {
    this.sweep();
    const id = randomUUID();
    const expiresAt = Math.floor((this.now() + this.limits.ttlMs) / 1000) * 1000;
    this.insert(`session:${id}`, { prev: undefined, expiresAt, kind: 'session' });
    return { id, expires: new Date(expiresAt) };
  }

  /** undefined: unknown or expired. */
  get(key: string): Entry | undefined {
    const e = this.entries.get(key);
    if (!e) return undefined;
    if (e.expiresAt <= this.now()) {
      this.remove(key);
      return undefined;
    }
    // LRU: re-insert at the end.
    this.entries.delete(key);
    this.entries.set(key, e);
    return e;
  }

  has(key: string): boolean {
    return this.get(key) !== undefined;
  }

  /** Stores the frame that the next request's first clip starts from. */
  setPrevious(key: string, frame: Uint8Array, kind: 'session' | 'stream'): void {
    const old = this.entries.get(key);
    const copy = new Uint8Array(frame); // never keep a view into a request's pooled buffer
    if (copy.byteLength > this.limits.maxBytes) {
      if (old) this.remove(key);
      return;
    }
    const expiresAt = old?.kind === 'session' ? old.expiresAt : Math.floor(this.now() + this.limits.ttlMs);
    if (old) this.remove(key);
    this.insert(key, { prev: copy, expiresAt, kind: old?.kind ?? kind });
  }

  close(key: string): boolean {
    const had = this.entries.has(key);
    this.remove(key);
    return had;
  }

  sweep(): void {
    const t = this.now();
    for (const [k, e] of this.entries) if (e.expiresAt <= t) this.remove(k);
  }

  private insert(key: string, e: Entry): void {
    this.entries.set(key, e);
    this.bytes += e.prev?.byteLength ?? 0;
    this.sweepIfOver();
  }

  private sweepIfOver(): void {
    if (this.entries.size <= this.limits.maxCount && this.bytes <= this.limits.maxBytes) return;
    this.sweep();
    for (const k of this.entries.keys()) {
      if (this.entries.size <= this.limits.maxCount && this.bytes <= this.limits.maxBytes) break;
      this.remove(k);
      this.evictions++;
    }
  }

  private remove(key: string): void {
    const e = this.entries.get(key);
    if (!e) return;
    this.bytes -= e.prev?.byteLength ?? 0;
    this.entries.delete(key);
  }
}

/** `<id>; Expires=YYYY-MM-DDTHH:MM:SSZ`, the only form SageMaker's NewSessionId accepts. */
export function newSessionHeader(id: string, expires: Date): string {
  return `${id}; Expires=${expires.toISOString().replace(/\.\d{3}Z$/, 'Z')}`;
}

export const sessionKey = (id: string): string => `session:${id}`;
export const streamKey = (id: string): string => `stream:${id}`;
