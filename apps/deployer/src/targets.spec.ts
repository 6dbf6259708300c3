import { retryFromEnv } from './targets';

describe('retryFromEnv', () => {
  it('reads VAD_AWS_RETRY_BASE_MS as the first backoff, and nothing when unset', () => {
    expect(retryFromEnv({ VAD_AWS_RETRY_BASE_MS: '50' })).toEqual({ baseDelayMs: 50 });
    expect(retryFromEnv({})).toBeUndefined();
  });

  it('refuses a value that is not whole milliseconds with config_invalid', () => {
    expect(() => retryFromEnv({ VAD_AWS_RETRY_BASE_MS: '-1' })).toThrow(/VAD_AWS_RETRY_BASE_MS: expected a whole number/);
    expect(() => retryFromEnv({ VAD_AWS_RETRY_BASE_MS: 'fast' })).toThrow(expect.objectContaining({ code: 'config_invalid' }));
  });
});
