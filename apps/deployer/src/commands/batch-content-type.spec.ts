import { isVadError } from '@vad/contracts';
import { batchContentType, mediaTypeOfKey } from './batch-content-type';

function codeOf(f: () => unknown): string | undefined {
  try {
    f();
  } catch (e) {
    return isVadError(e) ? e.code : 'not a VadError';
  }
  return undefined;
}

describe('batch Content-Type', () => {
  it('comes from the extensions when all records share one the server scores', () => {
    expect(batchContentType(['in/a.mp4', 'in/b.MP4'])).toBe('video/mp4');
    expect(batchContentType(['in/clip-1.json', 'in/clip-2.json'])).toBe('application/json');
    expect(batchContentType(['x.webm'])).toBe('video/webm');
    expect(batchContentType(['x.avi'])).toBe('video/x-msvideo');
  });

  it('--content-type wins, parameters ignored, when the server scores that type', () => {
    expect(batchContentType(['whatever.bin'], 'Video/MP4; codecs=avc1')).toBe('video/mp4');
  });

  it('refuses what the server cannot score alone (images, unknown), mixed prefixes and empty ones', () => {
    expect(codeOf(() => batchContentType(['a.jpg', 'b.jpg']))).toBe('unsupported_media_type');
    expect(codeOf(() => batchContentType(['a.bin']))).toBe('unsupported_media_type');
    expect(codeOf(() => batchContentType(['a.mp4', 'b.json']))).toBe('unsupported_media_type');
    expect(codeOf(() => batchContentType(['a.mp4'], 'application/x-image'))).toBe('unsupported_media_type');
    expect(codeOf(() => batchContentType([]))).toBe('bad_argument');
  });

  it('knows the image extensions (so the refusal can name them)', () => {
    expect(mediaTypeOfKey('f.JPEG')).toBe('image/jpeg');
    expect(mediaTypeOfKey('noext')).toBeUndefined();
  });
});
