import { Command, Option } from 'commander';
import { runCli, type DeployConfig } from '@vad/contracts';
import { loadDeployConfig, type ConfigFlags } from './config';
import { consoleReporter } from './progress';
import { defaultStateFile, StateStore } from './state';
import type { Targets } from './targets';

/**
 * `deployer deploy|plan|status|invoke|destroy|autoscale|batch|iam`. Configuration from
 * deploy.yaml, env and flags (flags win). Results on stdout, progress on stderr; bad input ends
 * with one readable line (a list for config errors) and an exit code from the contracts' ERRORS.
 * Each command imports what it runs when it runs (the AWS SDK, the steps, and only in the steps
 * that need them @vad/artifacts and @vad/core), so `--help` loads none of it; lint keeps @vad/core
 * and @vad/artifacts out of the deployer's static imports.
 */
const collect = (v: string, prev: string[] = []) => [...prev, v];

/**
 * The configuration flags in groups, so each command's `--help` shows only what it reads (every
 * flag stays settable in deploy.yaml and the environment for every command).
 */
type OptionGroup = (cmd: Command) => Command;

/** Which endpoint, where: every command. */
const endpointOptions: OptionGroup = (cmd) =>
  cmd
    .option('-c, --config <deploy.yaml>', 'configuration file (default: ./deploy.yaml when present)')
    .addOption(new Option('-t, --target <target>', 'where the endpoint lives (default local)').choices(['local', 'aws']))
    .option('-n, --name <name>', 'endpoint name (default vad-serve)')
    .option('--region <region>', 'AWS region (env AWS_REGION)')
    .option('--state-file <file>', 'deploy state file (default .vad-deploy/<target>-<name>.json)')
    .option('--state-dir <dir>', 'local target: where endpoints keep their processes, models and logs');

/** What a deploy creates: the model, its storage, the image, the role and the instances. */
const resourceOptions: OptionGroup = (cmd) =>
  cmd
    .option('-m, --model <path...>', 'model dir, model.tar.gz, or anomalib files (default: the embedded default model)')
    .option('--bucket <bucket>', 'S3 bucket for model.tar.gz (env VAD_DEPLOY_BUCKET)')
    .option('--prefix <prefix>', 'S3 key prefix (default vad-serve)')
    .option('--image <uri>', 'ECR image URI of apps/server (env VAD_DEPLOY_IMAGE)')
    .option(
      '--build-image [repository]',
      'build the apps/server image (Docker, or daemonless without an engine) and push it to this ECR repository (default vad-serve)',
    )
    .option('--role-arn <arn>', 'endpoint execution role (env VAD_DEPLOY_ROLE_ARN)')
    .option('--async-output <s3uri>', 'async inference: results are written under this S3 prefix')
    .option('--data-capture <s3uri>', 'capture requests and responses under this S3 prefix');

const instanceOptions: OptionGroup = (cmd) =>
  cmd
    .option('--instance-type <type>', 'e.g. ml.g5.xlarge')
    .option('--instance-count <n>', 'instances behind the variant')
    .option('--tag <key=value>', 'tag for every created resource (repeatable)', collect);

const variantOption: OptionGroup = (cmd) => cmd.option('--variant <name>', 'production variant name (default AllTraffic)');

const autoscaleOptions: OptionGroup = (cmd) =>
  cmd
    .option('--autoscale-min <n>', 'autoscaling: minimum instances')
    .option('--autoscale-max <n>', 'autoscaling: maximum instances')
    .option('--autoscale-target <n>', 'autoscaling: target invocations per instance per minute');

const rolloutOptions: OptionGroup = (cmd) =>
  cmd
    .addOption(new Option('--rollout <strategy>', 'blue/green traffic shifting on update').choices(['all-at-once', 'canary', 'linear']))
    .option('--alarm <name>', 'CloudWatch alarm that rolls an update back (repeatable)', collect);

const waitOptions: OptionGroup = (cmd) =>
  cmd.option('--poll <seconds>', 'seconds between status polls (AWS: 15–30)').option('--max-wait <minutes>', 'give up waiting after this many minutes');

const clipOptions: OptionGroup = (cmd) =>
  cmd
    .option('--clip <dir>', 'folder of frames for the smoke test / invoke (default: the bundled sample clip)')
    .option('--png <file>', 'where to write the annotated PNG (default .vad-deploy/smoke.png)');

const DEPLOY_GROUPS = [endpointOptions, resourceOptions, instanceOptions, variantOption, autoscaleOptions, rolloutOptions, waitOptions, clipOptions];

function withOptions(cmd: Command, groups: readonly OptionGroup[]): Command {
  return groups.reduce((c, group) => group(c), cmd);
}

/**
 * A command's modules, loaded when the command runs. A plain require: in this CommonJS file a
 * relative import() is typed as an ES module import (it would need `.js` extensions).
 */
function loadModule<T>(path: string): T {
  return require(path) as T;
}

async function targetsFor(config: DeployConfig): Promise<Targets> {
  return loadModule<typeof import('./targets')>('./targets').createTargets(config);
}

async function load(flags: ConfigFlags, command: 'deploy' | 'plan' | 'other'): Promise<{ config: DeployConfig; store: StateStore }> {
  const { config } = await loadDeployConfig(flags, process.env, command);
  return { config, store: new StateStore(defaultStateFile(config)) };
}

export function buildCli(): Command {
  const program = new Command('deployer')
    .description('vad-serve deployer: model → live endpoint, locally (default) or on SageMaker')
    .exitOverride()
    .showHelpAfterError();

  withOptions(program.command('deploy'), DEPLOY_GROUPS)
    .description('deploy (create, or blue/green update) the endpoint, wait until InService, smoke-test it')
    .option('--no-smoke', 'skip the smoke invocation')
    .action(async (o: ConfigFlags) => {
      const { config, store } = await load(o, 'deploy');
      const [{ runDeploy }, { renderScores }, { renderSummary }] = [
        loadModule<typeof import('./deploy')>('./deploy'),
        loadModule<typeof import('./smoke')>('./smoke'),
        loadModule<typeof import('./summary')>('./summary'),
      ];
      const out = await runDeploy(config, { ...(await targetsFor(config)), store, reporter: consoleReporter() });
      if (out.smoke) process.stdout.write(renderScores(out.smoke) + '\n');
      process.stdout.write(renderSummary(config, out, store.path) + '\n');
    });

  withOptions(program.command('plan'), DEPLOY_GROUPS)
    .description('dry run: print the steps and the calls a deploy would make (makes none)')
    .option('--json', 'print the plan as JSON')
    .action(async (o: ConfigFlags & { json?: boolean }) => {
      const { config, store } = await load(o, 'plan');
      const { planDeploy, renderPlan } = loadModule<typeof import('./deploy')>('./deploy');
      const ctx = await planDeploy(config, { ...(await targetsFor(config)), store }, { dryRun: true });
      if (ctx.endpointUnknown)
        process.stderr.write(`note: could not read endpoint ${config.name} (${ctx.endpointUnknown}); the plan assumes it does not exist\n`);
      process.stdout.write((o.json ? JSON.stringify(ctx.plan, null, 2) : renderPlan(ctx.plan)) + '\n');
    });

  withOptions(program.command('status'), [endpointOptions])
    .description("the endpoint's status, config, URL or ARN, and the resources we manage")
    .action(async (o: ConfigFlags) => {
      const { config, store } = await load(o, 'other');
      const { runStatus } = loadModule<typeof import('./commands/status')>('./commands/status');
      process.stdout.write((await runStatus(config, await targetsFor(config), store)) + '\n');
    });

  withOptions(program.command('invoke'), [endpointOptions, clipOptions])
    .description('score a folder of frames on the endpoint; print the scores and write the annotated PNG')
    .action(async (o: ConfigFlags) => {
      const { config } = await load(o, 'other');
      const [{ runInvoke }, { renderScores }] = [
        loadModule<typeof import('./commands/invoke')>('./commands/invoke'),
        loadModule<typeof import('./smoke')>('./smoke'),
      ];
      process.stdout.write(renderScores(await runInvoke(config, await targetsFor(config))) + '\n');
    });

  withOptions(program.command('destroy'), [endpointOptions, waitOptions])
    .description('delete the endpoint, its configs and models — only resources carrying our tags')
    .option('--all', 'every resource tagged vad-serve:managed=true, whatever the endpoint name')
    .action(async (o: ConfigFlags & { all?: boolean }) => {
      const { config, store } = await load(o, 'other');
      const { runDestroy } = loadModule<typeof import('./commands/destroy')>('./commands/destroy');
      process.stdout.write((await runDestroy(config, await targetsFor(config), store, { all: !!o.all, reporter: consoleReporter() })) + '\n');
    });

  withOptions(program.command('autoscale'), [endpointOptions, variantOption, autoscaleOptions])
    .description('target tracking on invocations per instance (Application Auto Scaling), min/max instances')
    .option('--off', 'deregister the scalable target instead')
    .action(async (o: ConfigFlags & { off?: boolean }) => {
      const { config } = await load(o, 'other');
      const { runAutoscale } = loadModule<typeof import('./commands/autoscale')>('./commands/autoscale');
      process.stdout.write((await runAutoscale(config, await targetsFor(config), { off: !!o.off })) + '\n');
    });

  withOptions(program.command('batch'), [endpointOptions, instanceOptions, waitOptions])
    .description('Batch Transform over an S3 prefix of frames/videos with the deployed model (same image)')
    .requiredOption('--input <s3uri>', 'S3 prefix of inputs (one object = one request)')
    .requiredOption('--output <s3uri>', 'S3 prefix for the <input>.out results')
    .option(
      '--content-type <type>',
      "Content-Type of every record: video/mp4, video/webm, video/x-msvideo or application/json (default: from the objects' extensions, which must agree)",
    )
    .option('--accept <type>', 'application/json (default) or image/png', 'application/json')
    .option('--no-wait', 'return once the job is started')
    .action(async (o: ConfigFlags & { input: string; output: string; contentType?: string; accept: string; wait: boolean }) => {
      const { config, store } = await load(o, 'other');
      const { runBatch } = loadModule<typeof import('./commands/batch')>('./commands/batch');
      process.stdout.write((await runBatch(config, await targetsFor(config), store, o, consoleReporter())) + '\n');
    });

  withOptions(program.command('iam'), [endpointOptions, resourceOptions])
    .description('print the least-privilege IAM policies for the deploy role and the endpoint execution role')
    .option('--account <id>', 'AWS account id (default: * in ARNs)')
    .action(async (o: ConfigFlags & { account?: string }) => {
      const { config } = await load(o, 'other');
      const { renderIamPolicies } = loadModule<typeof import('./commands/iam')>('./commands/iam');
      process.stdout.write(renderIamPolicies(config, o.account) + '\n');
    });

  return program;
}

export function main(argv: string[]): Promise<number> {
  // SageMakerClientErrors are VadErrors: their codes and exit codes are in the same ERRORS table.
  return runCli(() => buildCli().parseAsync(argv), { fallback: 'deploy_failed' });
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
