import { decodeBase64Frame, nestingDepth, parseJsonInvocation } from './json-base64';

describe('parseJsonInvocation', () => {
  it('reads the three frame spellings', () => {
    const r = parseJsonInvocation(JSON.stringify({ frames: [{ b64: 'aGk=' }, { s3: 's3://bucket-1/a/b.jpg' }, 's3://bucket-1/c.jpg', 'aGk='] }), 64);
    expect(r).toMatchObject({ form: 'sequence', frames: [{ kind: 'bytes' }, { kind: 's3', uri: 's3://bucket-1/a/b.jpg' }, { kind: 's3' }, { kind: 'bytes' }] });
  });
  it('counts frames before decoding anything', () => {
    expect(() => parseJsonInvocation(JSON.stringify({ frames: Array(65).fill('!!') }), 64)).toThrow(expect.objectContaining({ code: 'too_many_frames' }));
  });
  it('refuses deep nesting before JSON.parse, but not brackets inside strings', () => {
    expect(nestingDepth(Buffer.from('{"a": "[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[[\\"[[["}'), 32)).toBe(1);
    expect(() => parseJsonInvocation('['.repeat(1000) + ']'.repeat(1000), 64)).toThrow(
      expect.objectContaining({ code: 'bad_json', message: expect.stringContaining('nested') }),
    );
  });
  it('control bodies for stateful sessions', () => {
    expect(parseJsonInvocation('{"requestType":"CLOSE"}', 64)).toEqual({ form: 'control', requestType: 'CLOSE' });
  });
  it('base64: standard, URL-safe and data: URLs; anything else is bad_image', () => {
    expect(Buffer.from(decodeBase64Frame('data:image/png;base64,aGk=', 0)).toString()).toBe('hi');
    expect(Buffer.from(decodeBase64Frame('-_8', 0))).toEqual(Buffer.from([0xfb, 0xff]));
    expect(() => decodeBase64Frame('s3://x/y', 3)).toThrow(expect.objectContaining({ code: 'bad_image', message: expect.stringContaining('frame 3') }));
  });
});
