import { buildApp } from './app';
import { loadConfig } from './config';

// The S3 client's Node-20 notice, silenced deliberately and for the same reason as the deployer's
// (libs/sagemaker-client/src/aws/node-support-warning.ts): the pinned SDK supports this Node.
process.env['AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED'] ??= 'true';

/**
 * `serve`: listen on 8080 (or SAGEMAKER_BIND_TO_PORT) at once — SageMaker wants the socket
 * accepting within 250 ms — while the workers load the model in the background (/ping says 503
 * until they are warm). SIGTERM: stop accepting, drain in-flight requests, exit 0 before
 * SageMaker's SIGKILL 30 s later. Nothing else lives here.
 */
async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.length > 0 && args[0] !== 'serve') {
    process.stderr.write(`vad-serve: unknown command ${JSON.stringify(args[0])}; this image only serves (docker run <image> serve)\n`);
    process.exit(64);
  }
  const config = loadConfig();
  const app = await buildApp({ config });
  await app.listen({ port: config.port, host: config.host });
  app.log.info(
    {
      port: config.port,
      workers: config.workers,
      provider: config.executionProvider,
      modelDirSource: config.modelDirSource,
      maxBodyBytes: config.maxBodyBytes,
      maxFrames: config.maxFrames,
    },
    `listening on ${config.host}:${config.port}; loading the model`,
  );

  let stopping = false;
  const stop = (signal: string): void => {
    if (stopping) return;
    stopping = true;
    app.log.info({ signal }, 'draining in-flight requests');
    const force = setTimeout(() => {
      app.log.error({ drainMs: config.drainMs }, 'drain did not finish in time; exiting');
      process.exit(1);
    }, config.drainMs);
    force.unref();
    app.close().then(
      () => {
        app.log.info('drained; exiting');
        process.exit(0);
      },
      (e: unknown) => {
        app.log.error({ err: e }, 'error while closing');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

main().catch((e: unknown) => {
  process.stderr.write(`vad-serve failed to start: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exit(1);
});
