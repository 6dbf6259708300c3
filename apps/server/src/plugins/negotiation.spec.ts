import { acceptableResponseTypes, chooseResponseType, parseCustomAttributes, parseMediaType, requestKind } from './negotiation';

describe('media types', () => {
  it('parses parameters and case, which the toolkits compare as exact strings', () => {
    expect(parseMediaType('Application/JSON; charset="utf-8"')).toEqual({
      type: 'application',
      subtype: 'json',
      essence: 'application/json',
      params: { charset: 'utf-8' },
    });
    expect(requestKind('application/json; charset=utf-8').kind).toBe('json');
    expect(requestKind('multipart/form-data; boundary=x').kind).toBe('multipart');
    expect(requestKind('image/x-image').kind).toBe('image');
    expect(requestKind('video/mp4').kind).toBe('video');
    expect(() => requestKind('text/csv')).toThrow(expect.objectContaining({ code: 'unsupported_media_type' }));
    expect(() => requestKind(undefined)).toThrow(expect.objectContaining({ code: 'unsupported_media_type' }));
    expect(() => requestKind('garbage')).toThrow(expect.objectContaining({ code: 'unsupported_media_type' }));
  });
});

describe('Accept', () => {
  it('defaults to JSON and honours q-values and specificity', () => {
    expect(acceptableResponseTypes(undefined)).toEqual(['application/json']);
    expect(acceptableResponseTypes('*/*')).toEqual(['application/json', 'image/png', 'image/jpeg']);
    expect(acceptableResponseTypes('image/*')).toEqual(['image/png', 'image/jpeg']);
    expect(acceptableResponseTypes('image/jpeg, image/png;q=0.5')).toEqual(['image/jpeg', 'image/png']);
    expect(acceptableResponseTypes('image/*;q=0.9, image/png;q=0, application/json;q=0.1')).toEqual(['image/jpeg', 'application/json']);
    expect(acceptableResponseTypes('text/csv')).toEqual([]);
  });
  it('image types need exactly one result', () => {
    expect(chooseResponseType(['image/png', 'application/json'], 3)).toBe('application/json');
    expect(chooseResponseType(['image/png', 'application/json'], 1)).toBe('image/png');
    expect(() => chooseResponseType(['image/png'], 2)).toThrow(expect.objectContaining({ code: 'unsupported_accept' }));
  });
});

describe('custom attributes', () => {
  it('reads stream and fps and keeps the rest', () => {
    expect(parseCustomAttributes('stream=cam-7; fps=2.5, trace=abc')).toEqual({
      raw: 'stream=cam-7; fps=2.5, trace=abc',
      stream: 'cam-7',
      fps: 2.5,
      other: { trace: 'abc' },
    });
    expect(parseCustomAttributes(undefined)).toEqual({ raw: undefined, other: {} });
    expect(() => parseCustomAttributes('fps=0')).toThrow(expect.objectContaining({ code: 'bad_request' }));
    expect(() => parseCustomAttributes('stream=a b')).toThrow(expect.objectContaining({ code: 'bad_request' }));
  });
});
