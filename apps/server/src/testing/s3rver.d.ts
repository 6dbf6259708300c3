// s3rver ships no types; the specs use only its constructor, run() and close().
declare module 's3rver';
