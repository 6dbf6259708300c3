import { z } from 'zod';

/**
 * Every stable error code of vad-serve, in one table: the server maps `status` to HTTP, the CLIs
 * map `exit` to a process exit code (sysexits(3)), and a test keeps this table in sync with api.md.
 * `fault` says whose mistake it is, and decides the status class (contracts.spec.ts asserts it):
 * - `client`: the request or the user's input is wrong — 4xx;
 * - `model`: the model directory/archive/config the server was given is wrong (the operator's, not
 *   the request's: the request was fine) — 5xx, and a data error (65) or software error (70) for CLIs;
 * - `server`: the service itself failed or is busy — 5xx or 429.
 */
export const ERRORS = {
  // --- request and input (server API, api.md) ---
  // api.md gives S3 failures "400 or 422 as fits": a forbidden bucket is a bad request, a
  // missing object makes an otherwise valid request unprocessable (a 403/404 would read as the
  // endpoint's own auth or route failing).
  unsupported_media_type: { status: 415, fault: 'client', exit: 2 },
  unsupported_accept: { status: 406, fault: 'client', exit: 2 },
  payload_too_large: { status: 413, fault: 'client', exit: 2 },
  bad_request: { status: 400, fault: 'client', exit: 2 },
  bad_json: { status: 400, fault: 'client', exit: 2 },
  bad_image: { status: 400, fault: 'client', exit: 2 },
  bad_video: { status: 400, fault: 'client', exit: 2 },
  needs_clip: { status: 400, fault: 'client', exit: 2 },
  too_many_frames: { status: 400, fault: 'client', exit: 2 },
  frame_size_mismatch: { status: 422, fault: 'client', exit: 2 },
  s3_forbidden: { status: 400, fault: 'client', exit: 2 },
  s3_not_found: { status: 422, fault: 'client', exit: 2 },
  not_found: { status: 404, fault: 'client', exit: 2 },
  overloaded: { status: 429, fault: 'server', exit: 75 },
  deadline_exceeded: { status: 504, fault: 'server', exit: 75 },
  model_not_ready: { status: 503, fault: 'server', exit: 75 },
  video_decoder_missing: { status: 501, fault: 'server', exit: 69 },
  internal: { status: 500, fault: 'server', exit: 70 },
  // --- hardening (issue 13/11): transport and S3 refusals in the API's shape ---
  method_not_allowed: { status: 405, fault: 'client', exit: 2 },
  request_timeout: { status: 408, fault: 'client', exit: 2 },
  headers_too_large: { status: 431, fault: 'client', exit: 2 },
  bad_multipart: { status: 400, fault: 'client', exit: 2 },
  s3_rejected: { status: 422, fault: 'client', exit: 2 },
  // --- models, configs and files (vad-core, artifacts, CLIs) ---
  // A bad model/config/bank reaches the server only from /opt/ml/model (never in a request): a
  // 500 with fault `model`; the CLIs that read them from the user exit 65 (data error).
  bad_argument: { status: 400, fault: 'client', exit: 2 },
  file_not_found: { status: 400, fault: 'client', exit: 66 },
  config_invalid: { status: 500, fault: 'model', exit: 65 },
  no_attributes: { status: 500, fault: 'model', exit: 65 },
  model_invalid: { status: 500, fault: 'model', exit: 65 },
  digest_mismatch: { status: 500, fault: 'model', exit: 65 },
  onnx_contract: { status: 500, fault: 'model', exit: 65 },
  onnx_runtime: { status: 500, fault: 'server', exit: 70 },
  bank_invalid: { status: 500, fault: 'model', exit: 65 },
  fit_failed: { status: 500, fault: 'model', exit: 65 },
  unsafe_archive: { status: 400, fault: 'client', exit: 65 },
  pickle_refused: { status: 400, fault: 'client', exit: 65 },
  unsupported_format: { status: 400, fault: 'client', exit: 65 },
  // Hostile model files (issue 12): a pickle past a size/depth/count cap; too little disk to unpack.
  unsafe_pickle: { status: 400, fault: 'client', exit: 65 },
  disk_full: { status: 507, fault: 'server', exit: 73 },
  golden_mismatch: { status: 500, fault: 'server', exit: 1 },
  // --- deployer (apps/deployer) ---
  not_deployed: { status: 404, fault: 'client', exit: 2 },
  deploy_failed: { status: 500, fault: 'server', exit: 70 },
  // --- AWS / local target (libs/sagemaker-client's SageMakerClientError codes) ---
  // The status is the class of the failed call as this table reads it (the AWS call's own
  // status is on the error's httpStatus).
  validation: { status: 400, fault: 'client', exit: 2 },
  resource_limit: { status: 400, fault: 'client', exit: 69 },
  throttling: { status: 429, fault: 'server', exit: 75 },
  resource_in_use: { status: 409, fault: 'client', exit: 75 },
  model_error: { status: 502, fault: 'model', exit: 70 },
  invocation_timeout: { status: 504, fault: 'server', exit: 75 },
  endpoint_failed: { status: 502, fault: 'model', exit: 70 },
  wait_timeout: { status: 504, fault: 'server', exit: 75 },
  silent_rollback: { status: 500, fault: 'server', exit: 70 },
  unsupported_manifest: { status: 400, fault: 'client', exit: 65 },
  service_unavailable: { status: 503, fault: 'server', exit: 75 },
  stream_error: { status: 502, fault: 'server', exit: 70 },
  local_target: { status: 500, fault: 'server', exit: 70 },
  aws: { status: 500, fault: 'server', exit: 70 },
  // --- daemonless image build and registry push (libs/image-builder) ---
  image_build_failed: { status: 500, fault: 'server', exit: 70 },
  registry_failed: { status: 502, fault: 'server', exit: 69 },
} as const satisfies Record<string, { status: number; fault: ErrorFault; exit: number }>;

export type ErrorFault = 'client' | 'model' | 'server';

export type ErrorCode = keyof typeof ERRORS;
export const ERROR_CODES = Object.keys(ERRORS) as ErrorCode[];
export const ErrorCodeSchema = z.enum(ERROR_CODES as [ErrorCode, ...ErrorCode[]]);

/** The body of every 4xx/5xx answer of the server (api.md, "Errors"). */
export const ErrorBodySchema = z.object({
  error: z.object({
    code: ErrorCodeSchema,
    message: z.string(),
    requestId: z.string().optional(),
    details: z.record(z.string(), z.unknown()).optional(),
  }),
});
export type ErrorBody = z.infer<typeof ErrorBodySchema>;

export function errorStatus(code: ErrorCode): number {
  return ERRORS[code].status;
}
export function errorExitCode(code: ErrorCode): number {
  return ERRORS[code].exit;
}

/**
 * The exit code of a CLI whose commander parser threw (commander errors carry a `commander.*`
 * code and have already printed help or the usage problem): 0 for help/version, the
 * `bad_argument` code for any usage error; undefined when the error is not commander's.
 */
export function commanderExitCode(error: unknown): number | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  if (typeof code !== 'string' || !code.startsWith('commander.')) return undefined;
  return code === 'commander.helpDisplayed' || code === 'commander.help' || code === 'commander.version' ? 0 : ERRORS.bad_argument.exit;
}
