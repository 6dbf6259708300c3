import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { ListEndpointConfigsCommand, ListEndpointsCommand, ListModelsCommand, SageMakerClient } from '@aws-sdk/client-sagemaker';
import { cli, clientConfig, deployArgs as argsFor, faultProxy, REGION, useMoto, type Moto } from './moto';

/**
 * The deployer's AWS target over the wire: the CLI as a user runs it, the real SDK clients,
 * against moto_server (moto 5.2.1) on loopback through AWS_ENDPOINT_URL. The endpoint is a
 * hostname (`localhost`), so S3 must go path-style. moto differs from AWS here: it returns no
 * DeployedImages (the deploy must say the digest went unverified), and its endpoints are
 * InService at once. A small proxy in front of moto answers one call with an HTML 502, as a load
 * balancer would: the error must name the call and the status.
 */
let moto: Moto;
let endpoint: string;
let home: string;

useMoto('home-issue10-moto-', (m, h) => {
  moto = m;
  home = h;
  endpoint = moto.endpoint;
});

const deployArgs = argsFor('moto-ep');

describe('deployer AWS target against moto_server', () => {
  it('deploys to InService (S3 path-style on a hostname endpoint), says the image digest went unverified, reports status, destroys everything', async () => {
    const env = { AWS_ENDPOINT_URL: endpoint };
    const deployed = await cli(['deploy', ...deployArgs], env, home);
    expect([deployed.code, deployed.out]).toEqual([0, expect.stringMatching(/InService/)]);
    expect(deployed.out).toMatch(/s3:\/\/vad-models\/vad-serve\/models\/[0-9a-f]{64}\/model\.tar\.gz/);
    expect(deployed.out).toMatch(/NOT verified: DescribeEndpoint returned no DeployedImages/);

    const status = await cli(['status', '-t', 'aws', '--name', 'moto-ep'], env, home);
    expect([status.code, status.out]).toEqual([0, expect.stringMatching(/InService/)]);

    const destroyed = await cli(['destroy', '-t', 'aws', '--name', 'moto-ep'], env, home);
    expect(destroyed.code).toBe(0);
    const sm = new SageMakerClient(clientConfig(endpoint));
    expect((await sm.send(new ListEndpointsCommand({}))).Endpoints ?? []).toEqual([]);
    expect((await sm.send(new ListEndpointConfigsCommand({}))).EndpointConfigs ?? []).toEqual([]);
    expect((await sm.send(new ListModelsCommand({}))).Models ?? []).toEqual([]);
    sm.destroy();
  });

  it('an HTML error body names the call and the HTTP status', async () => {
    const proxy = await faultProxy(moto.port, [{ call: 'DescribeEndpoint', fault: 'html502' }]);
    try {
      const env = { AWS_ENDPOINT_URL: proxy.endpoint, AWS_MAX_ATTEMPTS: '1', VAD_AWS_RETRY_BASE_MS: '20' };
      const r = await cli(['status', '-t', 'aws', '--name', 'moto-ep'], env, home);
      expect(r.code).not.toBe(0);
      expect(r.out).toMatch(/error\[service_unavailable\]: DescribeEndpoint: HTTP 502, body not JSON\/XML: Unexpected token '<'/);
      // the one retry layer (withRetry, 6 attempts) and no SDK retries under it
      expect(proxy.counts.get('DescribeEndpoint')).toBe(6);
    } finally {
      await proxy.close();
    }
  });

  it('the smoke test saves only a PNG as the annotated frame (moto answers what is queued through its endpoint-results hook)', async () => {
    const env = { AWS_ENDPOINT_URL: endpoint };
    const scored = {
      model: { name: 'm', sha256: 'a'.repeat(64) },
      imageSize: [360, 240],
      results: [{ frame: 1, score: 0.5, regions: [] }],
      pred_boxes: [[]],
      box_scores: [[]],
      pred_scores: [0.5],
      timingsMs: {},
    };
    const queued = await fetch(`${endpoint}/moto-api/static/sagemaker/endpoint-results`, {
      method: 'POST',
      body: JSON.stringify({
        region: REGION,
        results: [
          { Body: JSON.stringify(scored), ContentType: 'application/json' },
          { Body: 'not a picture', ContentType: 'text/plain' },
        ],
      }),
    });
    expect(queued.status).toBe(201);
    const png = join(home, 'smoke.png');
    const args = deployArgs.filter((a) => a !== '--no-smoke').map((a) => (a === 'moto-ep' ? 'moto-png' : a));
    const r = await cli(['deploy', ...args, '--png', png], env, home);
    expect(r.code).not.toBe(0);
    expect(r.out).toMatch(/answered Accept: image\/png with text\/plain, 13 bytes that are not a PNG .*; nothing written/);
    expect(existsSync(png)).toBe(false);
    expect((await cli(['destroy', '-t', 'aws', '--name', 'moto-png'], env, home)).code).toBe(0);
  });
});
