import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';
import { SDK_NODE_WARNING_ENV } from './node-support-warning';

/** What a user sees on stderr when the deployer builds its SDK clients (a real Node process). */
const ROOT = resolve(__dirname, '../../../..');
const script = `
const { createAwsClients } = require('./libs/sagemaker-client/src/aws/clients.ts');
createAwsClients({ region: 'us-east-1', credentials: { accessKeyId: 'x', secretAccessKey: 'y' } });
setTimeout(() => {}, 50);
`;
function stderrOfClients(env: NodeJS.ProcessEnv): string {
  const r = spawnSync(process.execPath, ['-r', './tools/ts-register.js', '-e', script], { cwd: ROOT, encoding: 'utf8', env });
  expect(r.status).toBe(0);
  return r.stderr;
}
const baseEnv = (): NodeJS.ProcessEnv => {
  const env = { ...process.env };
  delete env[SDK_NODE_WARNING_ENV];
  return env;
};

describe("the SDK's Node-version notice", () => {
  it('is not printed when the clients are built', () => {
    expect(stderrOfClients(baseEnv())).not.toMatch(/NodeVersionSupportWarning/);
  });

  it("is the user's to turn back on (their setting wins)", () => {
    const stderr = stderrOfClients({ ...baseEnv(), [SDK_NODE_WARNING_ENV]: 'false' });
    // The SDK prints it only below Node 22; above, there is nothing to silence.
    if (Number(process.versions.node.split('.')[0]) < 22) expect(stderr).toMatch(/NodeVersionSupportWarning/);
    else expect(stderr).not.toMatch(/NodeVersionSupportWarning/);
  });
});
