import { s3PathStyle } from './call-context';

describe('s3PathStyle', () => {
  it('path-style with an explicit endpoint or an AWS_ENDPOINT_URL(_S3) override, virtual-hosted otherwise; VAD_S3_PATH_STYLE decides', () => {
    expect(s3PathStyle(undefined, {})).toBe(false);
    expect(s3PathStyle('http://localhost:9000', {})).toBe(true);
    expect(s3PathStyle(undefined, { AWS_ENDPOINT_URL: 'http://moto:5000' })).toBe(true);
    expect(s3PathStyle(undefined, { AWS_ENDPOINT_URL_S3: 'http://minio:9000' })).toBe(true);
    expect(s3PathStyle(undefined, { VAD_S3_PATH_STYLE: 'true' })).toBe(true);
    expect(s3PathStyle('http://localhost:9000', { VAD_S3_PATH_STYLE: 'false' })).toBe(false);
  });
});
