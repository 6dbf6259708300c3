import { wantsDaemonless } from './daemonless-image';

describe('wantsDaemonless', () => {
  it('builds without Docker when no engine is on PATH, and VAD_IMAGE_BUILDER forces either path', () => {
    expect(wantsDaemonless({}, () => false)).toBe(true);
    expect(wantsDaemonless({}, () => true)).toBe(false);
    expect(wantsDaemonless({ VAD_IMAGE_BUILDER: 'daemonless' }, () => true)).toBe(true);
    expect(wantsDaemonless({ VAD_IMAGE_BUILDER: ' Docker ' }, () => false)).toBe(false);
  });
});
