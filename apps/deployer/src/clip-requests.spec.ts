import { ERRORS, isVadError } from '@vad/contracts';
import { framesBodyBytes, planClipRequests } from './clip-requests';

describe('planClipRequests', () => {
  it('one request when the clip fits', () => {
    expect(planClipRequests(Array(12).fill(1000))).toEqual([{ start: 0, end: 11 }]);
  });

  it('splits by frame count: each request within the limit, consecutive requests share one frame', () => {
    const plan = planClipRequests(Array(80).fill(10), { maxFrames: 64, maxBodyBytes: 1e9 });
    expect(plan).toEqual([
      { start: 0, end: 63 },
      { start: 63, end: 79 },
    ]);
  });

  it('splits by body size, and every frame but the first is scored exactly once', () => {
    const sizes = Array.from({ length: 72 }, (_, i) => 90_000 + (i % 7) * 1000);
    const limits = { maxFrames: 64, maxBodyBytes: 1_000_000 };
    const plan = planClipRequests(sizes, limits);
    expect(plan.length).toBeGreaterThan(1);
    for (const r of plan) {
      expect(r.end - r.start + 1).toBeLessThanOrEqual(limits.maxFrames);
      expect(framesBodyBytes(sizes.slice(r.start, r.end + 1))).toBeLessThanOrEqual(limits.maxBodyBytes);
    }
    for (let k = 1; k < plan.length; k++) expect(plan[k]!.start).toBe(plan[k - 1]!.end);
    const scored = plan.flatMap((r) => Array.from({ length: r.end - r.start }, (_, j) => r.start + 1 + j));
    expect(scored).toEqual(Array.from({ length: 71 }, (_, i) => i + 1));
  });

  it('a pair of frames over the body limit is refused with payload_too_large', () => {
    let err: unknown;
    try {
      planClipRequests([10, 4_000_000, 4_000_000], { maxFrames: 64, maxBodyBytes: 6_000_000 });
    } catch (e) {
      err = e;
    }
    expect(isVadError(err) && err.code).toBe('payload_too_large');
    expect(ERRORS.payload_too_large.status).toBe(413);
  });
});
