import { newSessionHeader, SessionStore } from './sessions';

describe('SessionStore', () => {
  it('expires sessions after the TTL', () => {
    let now = 1_000_000;
    const s = new SessionStore({ maxCount: 10, ttlMs: 1000, maxBytes: 1e6 }, () => now);
    const { id } = s.create();
    s.setPrevious(`session:${id}`, new Uint8Array(10), 'session');
    expect(s.get(`session:${id}`)?.prev?.byteLength).toBe(10);
    now += 1001;
    expect(s.get(`session:${id}`)).toBeUndefined();
    expect(s.bytesHeld).toBe(0);
  });

  it('evicts the least recently used entry past the count and byte limits', () => {
    const s = new SessionStore({ maxCount: 2, ttlMs: 60_000, maxBytes: 250 });
    s.setPrevious('stream:a', new Uint8Array(100), 'stream');
    s.setPrevious('stream:b', new Uint8Array(100), 'stream');
    s.get('stream:a'); // a is now the most recent
    s.setPrevious('stream:c', new Uint8Array(100), 'stream');
    expect([s.has('stream:a'), s.has('stream:b'), s.has('stream:c')]).toEqual([true, false, true]);
    s.setPrevious('stream:d', new Uint8Array(200), 'stream');
    expect(s.bytesHeld).toBeLessThanOrEqual(250);
    expect(s.size).toBeLessThanOrEqual(2);
    expect(s.evictions).toBeGreaterThan(0);
  });

  it('copies frames rather than keeping views into request buffers', () => {
    const s = new SessionStore({ maxCount: 2, ttlMs: 60_000, maxBytes: 1e6 });
    const pool = new Uint8Array(1000);
    s.setPrevious('stream:a', pool.subarray(0, 4), 'stream');
    expect(s.get('stream:a')!.prev!.buffer.byteLength).toBe(4);
  });

  it('formats New-Session-Id as SageMaker requires: id; Expires=ISO seconds Z', () => {
    expect(newSessionHeader('abc-1', new Date('2026-01-02T03:04:05.678Z'))).toBe('abc-1; Expires=2026-01-02T03:04:05Z');
  });
});
