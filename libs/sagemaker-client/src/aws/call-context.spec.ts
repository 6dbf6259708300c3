import { ListModelsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { ServiceUnavailableError } from '../errors';
import { nameFailedCalls, s3PathStyle } from './call-context';
import { mapAwsError } from './map-error';

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

describe('a dropped connection', () => {
  // What the SDK's Node handler throws when the socket closes without an answer (checked against
  // a real dropping server outside jest, whose vm realm makes the SDK re-wrap Node's errors; the
  // moto faults e2e spec runs it over the wire).
  const hangUp = () => Object.assign(new Error('socket hang up'), { name: 'TimeoutError', code: 'ECONNRESET', $metadata: { attempts: 1, totalRetryDelay: 0 } });

  it('maps to a retryable ServiceUnavailableError, not a timeout (the SDK calls ECONNRESET "TimeoutError")', () => {
    const e = mapAwsError(hangUp());
    expect(e).toBeInstanceOf(ServiceUnavailableError);
    expect(e.message).toBe('connection lost before an answer (ECONNRESET: socket hang up)');
  });

  it('names the call', async () => {
    const client = nameFailedCalls(new SageMakerClient({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' }, maxAttempts: 1 }));
    client.middlewareStack.add(() => async () => Promise.reject(hangUp()), { step: 'finalizeRequest', name: 'dropConnection' });
    try {
      const e = mapAwsError(await client.send(new ListModelsCommand({})).catch((x: unknown) => x));
      expect(e).toBeInstanceOf(ServiceUnavailableError);
      expect(e.message).toBe('ListModels: connection lost before an answer (ECONNRESET: socket hang up)');
    } finally {
      client.destroy();
    }
  });
});
