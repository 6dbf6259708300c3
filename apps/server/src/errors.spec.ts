import { ERRORS } from '@vad/contracts';
import { errorBody, toCoded } from './errors';

describe('errors', () => {
  it('unknown failures become internal without leaking their message or stack', () => {
    const c = toCoded(new TypeError('secret path /opt/ml/model/x at foo.ts:1'));
    expect(c).toMatchObject({ code: 'internal', internal: true });
    expect(c.message).not.toContain('secret');
    expect(errorBody(c, 'req-1')).toEqual({ error: { code: 'internal', message: c.message, requestId: 'req-1' } });
  });
  it('fastify body limits map to payload_too_large with the status from ERRORS', () => {
    const c = toCoded(Object.assign(new Error('too large'), { code: 'FST_ERR_CTP_BODY_TOO_LARGE', statusCode: 413 }));
    expect([c.code, ERRORS[c.code].status]).toEqual(['payload_too_large', 413]);
  });
  it('VadError-shaped objects keep their code and details', () => {
    expect(toCoded({ code: 'frame_size_mismatch', message: 'm', details: { index: 1 } })).toMatchObject({ code: 'frame_size_mismatch', details: { index: 1 } });
  });
});
