import { Command, Option } from 'commander';
import { ERRORS, commanderExitCode, type DeployConfig } from '@vad/contracts';
import { asVadError, VadError } from '@vad/core';
import { SageMakerClientError } from '@vad/sagemaker-client';
import { loadDeployConfig, type ConfigFlags } from './config';
import { runAutoscale } from './commands/autoscale';
import { runBatch } from './commands/batch';
import { runDestroy } from './commands/destroy';
import { runInvoke } from './commands/invoke';
import { renderIamPolicies } from './commands/iam';
import { runStatus } from './commands/status';
import { planDeploy, renderPlan, runDeploy } from './deploy';
import { consoleReporter } from './progress';
import { defaultStateFile, StateStore } from './state';
import { renderScores } from './steps/smoke-test';
import { renderSummary } from './summary';
import { createTargets } from './targets';

/**
 * `deployer deploy|plan|status|invoke|destroy|autoscale|batch|iam`. Configuration from
 * deploy.yaml, env and flags (flags win). Results on stdout, progress on stderr; bad input ends
 * with one readable line (a list for config errors) and an exit code from the contracts' ERRORS.
 */
const collect = (v: string, prev: string[] = []) => [...prev, v];

function withConfigOptions(cmd: Command): Command {
  return cmd
    .option('-c, --config <deploy.yaml>', 'configuration file (default: ./deploy.yaml when present)')
    .addOption(new Option('-t, --target <target>', 'where the endpoint lives (default local)').choices(['local', 'aws']))
    .option('-n, --name <name>', 'endpoint name (default vad-serve)')
    .option('-m, --model <path...>', 'model dir, model.tar.gz, or anomalib files (default: the embedded default model)')
    .option('--region <region>', 'AWS region (env AWS_REGION)')
    .option('--bucket <bucket>', 'S3 bucket for model.tar.gz (env VAD_DEPLOY_BUCKET)')
    .option('--prefix <prefix>', 'S3 key prefix (default vad-serve)')
    .option('--image <uri>', 'ECR image URI of apps/server (env VAD_DEPLOY_IMAGE)')
    .option('--build-image [repository]', 'build the server image (docker, or without Docker when none is installed) and push it to this ECR repository (default vad-serve)')
    .option('--role-arn <arn>', 'endpoint execution role (env VAD_DEPLOY_ROLE_ARN)')
    .option('--instance-type <type>', 'e.g. ml.g5.xlarge')
    .option('--instance-count <n>', 'instances behind the variant')
    .option('--variant <name>', 'production variant name (default AllTraffic)')
    .option('--async-output <s3uri>', 'async inference: results are written under this S3 prefix')
    .option('--data-capture <s3uri>', 'capture requests and responses under this S3 prefix')
    .option('--autoscale-min <n>', 'autoscaling: minimum instances')
    .option('--autoscale-max <n>', 'autoscaling: maximum instances')
    .option('--autoscale-target <n>', 'autoscaling: target invocations per instance per minute')
    .addOption(new Option('--rollout <strategy>', 'blue/green traffic shifting on update').choices(['all-at-once', 'canary', 'linear']))
    .option('--alarm <name>', 'CloudWatch alarm that rolls an update back (repeatable)', collect)
    .option('--tag <key=value>', 'tag for every created resource (repeatable)', collect)
    .option('--poll <seconds>', 'seconds between status polls (AWS: 15–30)')
    .option('--max-wait <minutes>', 'give up waiting after this many minutes')
    .option('--state-file <file>', 'deploy state file (default .vad-deploy/<target>-<name>.json)')
    .option('--state-dir <dir>', 'local target: where endpoints keep their processes, models and logs')
    .option('--clip <dir>', 'folder of frames for the smoke test / invoke (default: the bundled sample clip)')
    .option('--png <file>', 'where to write the annotated PNG (default .vad-deploy/smoke.png)');
}

async function load(flags: ConfigFlags, command: 'deploy' | 'plan' | 'other'): Promise<{ config: DeployConfig; store: StateStore }> {
  const { config } = await loadDeployConfig(flags, process.env, command);
  return { config, store: new StateStore(defaultStateFile(config)) };
}

export function buildCli(): Command {
  const program = new Command('deployer').description('vad-serve deployer: model → live endpoint, locally (default) or on SageMaker').exitOverride().showHelpAfterError();

  withConfigOptions(program.command('deploy'))
    .description('deploy (create, or blue/green update) the endpoint, wait until InService, smoke-test it')
    .option('--no-smoke', 'skip the smoke invocation')
    .action(async (o: ConfigFlags) => {
      const { config, store } = await load(o, 'deploy');
      const targets = await createTargets(config);
      const out = await runDeploy(config, { ...targets, store, reporter: consoleReporter() });
      if (out.smoke) process.stdout.write(renderScores(out.smoke) + '\n');
      process.stdout.write(renderSummary(config, out, store.path) + '\n');
    });

  withConfigOptions(program.command('plan'))
    .description('dry run: print the steps and the calls a deploy would make (makes none)')
    .option('--json', 'print the plan as JSON')
    .action(async (o: ConfigFlags & { json?: boolean }) => {
      const { config, store } = await load(o, 'plan');
      const targets = await createTargets(config);
      const ctx = await planDeploy(config, { ...targets, store }, { dryRun: true });
      if (ctx.endpointUnknown) process.stderr.write(`note: could not read endpoint ${config.name} (${ctx.endpointUnknown}); the plan assumes it does not exist\n`);
      process.stdout.write((o.json ? JSON.stringify(ctx.plan, null, 2) : renderPlan(ctx.plan)) + '\n');
    });

  withConfigOptions(program.command('status'))
    .description("the endpoint's status, config, URL or ARN, and the resources we manage")
    .action(async (o: ConfigFlags) => {
      const { config, store } = await load(o, 'other');
      process.stdout.write((await runStatus(config, await createTargets(config), store)) + '\n');
    });

  withConfigOptions(program.command('invoke'))
    .description('score a folder of frames on the endpoint; print the scores and write the annotated PNG')
    .action(async (o: ConfigFlags) => {
      const { config } = await load(o, 'other');
      process.stdout.write(renderScores(await runInvoke(config, await createTargets(config))) + '\n');
    });

  withConfigOptions(program.command('destroy'))
    .description('delete the endpoint, its configs and models — only resources carrying our tags')
    .option('--all', 'every resource tagged vad-serve:managed=true, whatever the endpoint name')
    .action(async (o: ConfigFlags & { all?: boolean }) => {
      const { config, store } = await load(o, 'other');
      process.stdout.write((await runDestroy(config, await createTargets(config), store, { all: !!o.all, reporter: consoleReporter() })) + '\n');
    });

  withConfigOptions(program.command('autoscale'))
    .description('target tracking on invocations per instance (Application Auto Scaling), min/max instances')
    .option('--off', 'deregister the scalable target instead')
    .action(async (o: ConfigFlags & { off?: boolean }) => {
      const { config } = await load(o, 'other');
      process.stdout.write((await runAutoscale(config, await createTargets(config), { off: !!o.off })) + '\n');
    });

  withConfigOptions(program.command('batch'))
    .description('Batch Transform over an S3 prefix of frames/videos with the deployed model (same image)')
    .requiredOption('--input <s3uri>', 'S3 prefix of inputs (one object = one request)')
    .requiredOption('--output <s3uri>', 'S3 prefix for the <input>.out results')
    .option('--content-type <type>', 'Content-Type of the inputs (default from the extension on the server)')
    .option('--accept <type>', 'application/json (default) or image/png', 'application/json')
    .option('--no-wait', 'return once the job is started')
    .action(async (o: ConfigFlags & { input: string; output: string; contentType?: string; accept: string; wait: boolean }) => {
      const { config, store } = await load(o, 'other');
      process.stdout.write((await runBatch(config, await createTargets(config), store, o, consoleReporter())) + '\n');
    });

  withConfigOptions(program.command('iam'))
    .description('print the least-privilege IAM policies for the deploy role and the endpoint execution role')
    .option('--account <id>', 'AWS account id (default: * in ARNs)')
    .action(async (o: ConfigFlags & { account?: string }) => {
      const { config } = await load(o, 'other');
      process.stdout.write(renderIamPolicies(config, o.account) + '\n');
    });

  return program;
}

export async function main(argv: string[]): Promise<number> {
  try {
    await buildCli().parseAsync(argv);
    return 0;
  } catch (e) {
    // commander already printed help or the usage error.
    const usage = commanderExitCode(e);
    if (usage !== undefined) return usage;
    if (e instanceof SageMakerClientError) {
      process.stderr.write(`error[${e.code}]: ${e.message}\n`);
      return e.exitCode;
    }
    const err = e instanceof VadError ? e : asVadError(e, 'deploy_failed');
    process.stderr.write(`error[${err.code}]: ${err.message}\n`);
    return ERRORS[err.code].exit;
  }
}

if (require.main === module) {
  void main(process.argv).then((code) => {
    process.exitCode = code;
  });
}
