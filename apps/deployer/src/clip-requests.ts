import { VadError, type DeployConfig } from '@vad/contracts';

/**
 * How a folder of frames becomes requests within the server's limits (api.md: at most
 * `VAD_MAX_FRAMES` frames, 64 by default, and a body of at most 6 MB, SageMaker's own invocation
 * payload limit). Each frame is scored against the one before it, so consecutive requests share one
 * frame: the last frame of one is the first of the next, and every frame but the very first is
 * scored exactly once, against the same predecessor as in one big request.
 */
export interface RequestLimits {
  readonly maxFrames: number;
  readonly maxBodyBytes: number;
}

export const SERVER_DEFAULT_LIMITS: RequestLimits = { maxFrames: 64, maxBodyBytes: 6 * 1024 * 1024 };

/** One request: frames `start … end` (inclusive) of the clip. */
export interface ClipRequest {
  readonly start: number;
  readonly end: number;
}

/** `{"frames":[{"b64":"…"},…]}`: the JSON bytes a run of base64 frames takes. */
export function framesBodyBytes(b64Lengths: readonly number[]): number {
  const perFrame = '{"b64":""}'.length + 1; // the object and its comma
  return '{"frames":[]}'.length + b64Lengths.reduce((sum, n) => sum + n + perFrame, 0);
}

export function planClipRequests(b64Lengths: readonly number[], limits: RequestLimits = SERVER_DEFAULT_LIMITS): ClipRequest[] {
  if (limits.maxFrames < 2) throw new VadError('bad_argument', `a request must hold at least two frames (max frames is ${limits.maxFrames})`);
  const frameBytes = (i: number) => framesBodyBytes([b64Lengths[i]!]) - framesBodyBytes([]);
  const requests: ClipRequest[] = [];
  let start = 0;
  while (start < b64Lengths.length - 1) {
    let end = start + 1;
    // The body's size, kept as frames are added (one pass over the clip).
    let bytes = framesBodyBytes([b64Lengths[start]!, b64Lengths[end]!]);
    if (bytes > limits.maxBodyBytes) {
      throw new VadError(
        'payload_too_large',
        `frames ${start} and ${end} alone make a ${bytes}-byte request, over the ${limits.maxBodyBytes}-byte limit: send smaller frames`,
      );
    }
    while (end + 1 < b64Lengths.length && end + 2 - start <= limits.maxFrames && bytes + frameBytes(end + 1) <= limits.maxBodyBytes) bytes += frameBytes(++end);
    requests.push({ start, end });
    start = end;
  }
  return requests;
}

/** The limits of the endpoint `config` deploys, whose container environment may set its own (`aws.env`). */
export function requestLimitsFor(config: DeployConfig): RequestLimits {
  const env: Readonly<Record<string, string>> = config.target === 'aws' ? config.aws.env : {};
  const frames = Number(env['VAD_MAX_FRAMES']);
  const mb = Number(env['VAD_MAX_BODY_MB']);
  return {
    maxFrames: Number.isInteger(frames) && frames >= 2 ? frames : SERVER_DEFAULT_LIMITS.maxFrames,
    // SageMaker refuses a payload over 6 MB whatever the container would take.
    maxBodyBytes: Math.min(SERVER_DEFAULT_LIMITS.maxBodyBytes, mb > 0 ? Math.round(mb * 1024 * 1024) : Infinity),
  };
}

/** A progress line per request on stderr, when the clip takes more than one request. */
export function progressOnStderr(label: string): (scored: number, total: number, requests: number) => void {
  return (scored, total, requests) => {
    if (requests > 1) process.stderr.write(`${label}: ${scored}/${total} frames scored (${requests} requests)\n`);
  };
}
