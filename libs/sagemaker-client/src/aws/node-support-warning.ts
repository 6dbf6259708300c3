/** The variable the AWS SDK for JavaScript v3 reads before it prints its Node-version notice. */
export const SDK_NODE_WARNING_ENV = 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED';

/**
 * Silences, deliberately, the SDK's "versions published after the first week of January 2027 will
 * require node >=22" notice that every client construction printed on Node 20. Why it is safe: the
 * SDK packages are pinned in package-lock.json to versions that support Node >= 20 (the engines of
 * this workspace), so the notice is about versions we do not install; the machines this project
 * runs on (and the image, which carries the same Node) have Node 20.20 and only the npm registry,
 * so moving to Node 22 is not a choice here. A user who sets the variable keeps their setting.
 * Revisit when the SDK pins are raised past January 2027 (the SDK will then refuse Node 20).
 */
export function silenceSdkNodeSupportWarning(env: NodeJS.ProcessEnv = process.env): void {
  if (env[SDK_NODE_WARNING_ENV] === undefined) env[SDK_NODE_WARNING_ENV] = 'true';
}
