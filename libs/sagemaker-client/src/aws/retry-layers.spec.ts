import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { ThrottlingError } from '../errors';
import { AwsTarget } from './aws-target';

/**
 * One retry layer: a throttled SageMaker call is tried a bounded number of times in total. The
 * real SDK client (with its own retry middleware, which a mocked `send` would bypass) talks to a
 * loopback HTTP server that answers every request with ThrottlingException, and the server counts
 * the requests that reach it.
 */
let server: Server;
let requests = 0;
const saved = process.env['AWS_ENDPOINT_URL_SAGEMAKER'];

beforeAll(async () => {
  server = createServer((req, res) => {
    requests++;
    req.resume();
    req.on('end', () => {
      res.writeHead(400, { 'content-type': 'application/x-amz-json-1.1', 'x-amzn-errortype': 'ThrottlingException', 'x-amzn-requestid': `req-${requests}` });
      res.end(JSON.stringify({ __type: 'ThrottlingException', message: 'Rate exceeded' }));
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.env['AWS_ENDPOINT_URL_SAGEMAKER'] = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  if (saved === undefined) delete process.env['AWS_ENDPOINT_URL_SAGEMAKER'];
  else process.env['AWS_ENDPOINT_URL_SAGEMAKER'] = saved;
  await new Promise((resolve) => server.close(resolve));
});

beforeEach(() => {
  requests = 0;
});

describe('retries', () => {
  const credentials = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'secret' };

  it('a throttled control-plane call is sent exactly `attempts` times in all (the SDK does not retry underneath)', async () => {
    const target = new AwsTarget({ region: 'us-east-1', credentials, retry: { baseDelayMs: 1, maxDelayMs: 2 } });
    const err = await target.describeModel('vad-model').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ThrottlingError);
    // the lib's default: 6 attempts, one HTTP request each
    expect(requests).toBe(6);
  });

  it('the bound is the lib option, whatever the call', async () => {
    const target = new AwsTarget({ region: 'us-east-1', credentials, retry: { attempts: 3, baseDelayMs: 1, maxDelayMs: 2 } });
    await expect(target.deleteEndpointConfig('vad-config')).rejects.toBeInstanceOf(ThrottlingError);
    expect(requests).toBe(3);
  });
});
