import { DEPLOY_TAGS, S3_URI_PREFIX, VadError, type DeployConfig } from '@vad/contracts';
import type { Reporter } from '../progress';
import type { StateStore } from '../state';
import type { Targets } from '../targets';
import { timestampStamp } from '../naming';
import { batchContentType } from './batch-content-type';

/**
 * `batch`: a Batch Transform job over an S3 prefix with the deployed model (same image, same
 * container contract; the server answers GET /execution-parameters). One object = one request
 * (SplitType None), results at `<output>/<input key>.out`.
 */
export async function runBatch(
  config: DeployConfig,
  { aws }: Targets,
  store: StateStore,
  o: { input: string; output: string; contentType?: string; accept: string; wait: boolean },
  reporter: Reporter,
): Promise<string> {
  if (config.target !== 'aws' || !aws) throw new VadError('bad_argument', 'batch runs on target aws (SageMaker Batch Transform)');
  for (const [flag, v] of [
    ['--input', o.input],
    ['--output', o.output],
  ] as const) {
    if (!S3_URI_PREFIX.test(v)) throw new VadError('bad_argument', `${flag} ${JSON.stringify(v)} must be an s3://bucket/prefix URI`);
  }
  // What SageMaker will send each record as, decided before anything is started (a job whose
  // records the server answers 400 scores nothing and still bills its instances).
  const listed = o.contentType === undefined ? await aws.listInputKeys(o.input, 10_000) : { keys: [], truncated: false };
  const contentType = batchContentType(listed.keys, o.contentType);
  const state = await store.load();
  if (!state?.current)
    throw new VadError('not_deployed', `no deployed model for ${config.name} in ${store.path}; deploy first (the job reuses the endpoint's model)`);
  const jobName = `${config.name}-batch-${timestampStamp()}`.slice(0, 63);
  const { jobArn } = await aws.startTransformJob({
    jobName,
    modelName: state.current.modelName,
    inputS3Uri: o.input,
    outputS3Uri: o.output,
    contentType,
    accept: o.accept,
    instanceType: config.aws.instanceType,
    instanceCount: config.aws.instanceCount,
    tags: { ...config.tags, [DEPLOY_TAGS.managed]: 'true', [DEPLOY_TAGS.endpoint]: config.name },
  });
  if (!o.wait) return `started ${jobName} (${jobArn}), records sent as ${contentType}`;
  const step = reporter.step('batch', `transform job ${jobName}`);
  const t0 = Date.now();
  const poll = Math.max(15, Math.min(30, config.pollSeconds)) * 1000;
  for (;;) {
    const d = await aws.describeTransformJob(jobName);
    step.note(`${d.status} after ${Math.round((Date.now() - t0) / 1000)} s`);
    if (d.status === 'Completed') break;
    if (d.status === 'Failed' || d.status === 'Stopped') {
      step.fail(d.failureReason ?? d.status);
      throw new VadError('deploy_failed', `transform job ${jobName} ${d.status}: ${d.failureReason ?? 'no reason given'}`);
    }
    if (Date.now() - t0 > config.maxWaitMinutes * 60_000)
      throw new VadError(
        'deploy_failed',
        `transform job ${jobName} still ${d.status} after ${config.maxWaitMinutes} min; it keeps running (describe-transform-job)`,
      );
    await new Promise((r) => setTimeout(r, poll));
  }
  step.done();
  return `completed ${jobName}: results under ${o.output}`;
}
