import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { VadError } from '@vad/contracts';

export interface VideoDecodeOptions {
  ffmpegPath: string;
  /** `fps=<n>` custom attribute: resample before extracting; undefined keeps every frame. */
  fps?: number;
  maxFrames: number;
  deadline: number;
  /** Refuse frames larger than this before ffmpeg encodes them. */
  maxPixels: number;
}

const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Splits ffmpeg's image2pipe PNG stream into one buffer per frame (signature … IEND chunk). */
export class PngStreamSplitter {
  private buf: Buffer = Buffer.alloc(0);
  private pos = 8;
  readonly frames: Buffer[] = [];

  push(chunk: Buffer): void {
    this.buf = this.buf.length === 0 ? chunk : Buffer.concat([this.buf, chunk]);
    for (;;) {
      if (this.buf.length < 8) return;
      if (!this.buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('ffmpeg output is not a PNG stream');
      // Walk chunks: length(4) type(4) data(length) crc(4).
      while (this.pos + 8 <= this.buf.length) {
        const len = this.buf.readUInt32BE(this.pos);
        const type = this.buf.toString('latin1', this.pos + 4, this.pos + 8);
        const end = this.pos + 12 + len;
        if (end > this.buf.length) return;
        this.pos = end;
        if (type === 'IEND') {
          this.frames.push(Buffer.from(this.buf.subarray(0, end)));
          this.buf = this.buf.subarray(end);
          this.pos = 8;
          break;
        }
      }
      if (this.pos + 8 > this.buf.length) return;
    }
  }

  get leftover(): number {
    return this.buf.length;
  }
}

/**
 * video/mp4, video/webm, video/x-msvideo → PNG frames, with ffmpeg from PATH. The body goes to a
 * temporary file (MP4s with the index at the end cannot be read from a pipe), never under
 * /opt/ml/model, which is read-only on SageMaker.
 */
export async function decodeVideo(body: Uint8Array, opts: VideoDecodeOptions): Promise<Uint8Array[]> {
  if (body.byteLength === 0) throw new VadError('bad_video', 'the video body is empty');
  const dir = await mkdtemp(join(tmpdir(), 'vad-video-'));
  try {
    const input = join(dir, 'input');
    await writeFile(input, body);
    refuseFromProbe(await probeVideo(input, opts), opts);
    return await runFfmpeg(input, opts);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

export interface VideoProbe {
  width?: number;
  height?: number;
  durationS?: number;
  fps?: number;
}

/** What ffmpeg's header dump says of the first video stream (`ffmpeg -i` with no output). */
export function parseProbe(stderr: string): VideoProbe {
  const out: VideoProbe = {};
  const stream = /Stream #\d+:\d+[^:]*: Video: .*/.exec(stderr)?.[0];
  if (stream) {
    const size = /[ ,](\d{1,6})x(\d{1,6})[ ,\[]/.exec(stream);
    if (size) {
      out.width = Number(size[1]);
      out.height = Number(size[2]);
    }
    // Only the declared rate: "tbr" is a time base guess (1k for some WebMs) and would refuse
    // short videos as long.
    const fps = /([\d.]+) fps/.exec(stream);
    if (fps) out.fps = Number(fps[1]);
  }
  const d = /Duration: (\d+):(\d\d):(\d\d(?:\.\d+)?)/.exec(stderr);
  if (d) out.durationS = Number(d[1]) * 3600 + Number(d[2]) * 60 + Number(d[3]);
  return out;
}

/** Reads only the container header: cheap next to decoding, and it never writes a frame. */
function probeVideo(input: string, opts: VideoDecodeOptions): Promise<VideoProbe> {
  return new Promise((resolve, reject) => {
    const child = spawn(opts.ffmpegPath, ['-nostdin', '-hide_banner', '-i', input], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    const timer = setTimeout(() => child.kill('SIGKILL'), Math.max(0, Math.min(10_000, opts.deadline - Date.now())));
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 16_000) stderr += d.toString();
    });
    child.on('error', (e: NodeJS.ErrnoException) => {
      clearTimeout(timer);
      if (e.code === 'ENOENT') reject(decoderMissing(opts.ffmpegPath));
      else reject(new VadError('internal', `could not start ffmpeg: ${e.message}`));
    });
    // ffmpeg exits 1 ("At least one output file must be specified") after printing the header.
    child.on('close', () => {
      clearTimeout(timer);
      resolve(parseProbe(stderr));
    });
  });
}

/** Refusals the header allows: frames over VAD_MAX_PIXELS, or more frames than VAD_MAX_FRAMES. */
export function refuseFromProbe(p: VideoProbe, opts: Pick<VideoDecodeOptions, 'maxPixels' | 'maxFrames' | 'fps'>): void {
  if (p.width !== undefined && p.height !== undefined && p.width * p.height > opts.maxPixels) {
    throw new VadError(
      'bad_video',
      `the video's frames are ${p.width}x${p.height} (${p.width * p.height} pixels), over VAD_MAX_PIXELS (${opts.maxPixels}); send a smaller video`,
      {
        width: p.width,
        height: p.height,
        maxPixels: opts.maxPixels,
      },
    );
  }
  const rate = opts.fps ?? p.fps;
  // Half a frame of slack for rounding in the container's duration.
  if (p.durationS !== undefined && rate !== undefined && Math.floor(p.durationS * rate - 0.5) > opts.maxFrames) {
    throw new VadError(
      'too_many_frames',
      `the video is ${p.durationS.toFixed(2)} s at ${rate} fps (about ${Math.round(p.durationS * rate)} frames), over ${opts.maxFrames} (VAD_MAX_FRAMES); send a lower fps=<n> custom attribute or a shorter video`,
      { max: opts.maxFrames },
    );
  }
}

function decoderMissing(ffmpegPath: string): VadError {
  return new VadError(
    'video_decoder_missing',
    `video input needs ffmpeg, which is not installed in this container (looked for ${JSON.stringify(ffmpegPath)} on PATH); install ffmpeg in the image or send frames as images`,
  );
}

function runFfmpeg(input: string, opts: VideoDecodeOptions): Promise<Uint8Array[]> {
  const filters: string[] = [];
  if (opts.fps !== undefined) filters.push(`fps=${opts.fps}`);
  const args = ['-nostdin', '-hide_banner', '-loglevel', 'error', '-i', input];
  if (filters.length) args.push('-vf', filters.join(','));
  // One frame more than allowed tells us the video is too long without decoding all of it.
  args.push('-frames:v', String(opts.maxFrames + 1), '-an', '-f', 'image2pipe', '-c:v', 'png', '-compression_level', '1', 'pipe:1');

  return new Promise((resolve, reject) => {
    let settled = false;
    const finish = (err: unknown, frames?: Uint8Array[]): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      if (err) reject(err);
      else resolve(frames!);
    };
    const child = spawn(opts.ffmpegPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const splitter = new PngStreamSplitter();
    let stderr = '';
    const timer = setTimeout(
      () => {
        child.kill('SIGKILL');
        finish(new VadError('deadline_exceeded', 'decoding the video ran past the request deadline; send a shorter video or fps=<n>'));
      },
      Math.max(0, opts.deadline - Date.now()),
    );
    child.on('error', (e: NodeJS.ErrnoException) => {
      if (e.code === 'ENOENT') finish(decoderMissing(opts.ffmpegPath));
      else finish(new VadError('internal', `could not start ffmpeg: ${e.message}`));
    });
    child.stderr.on('data', (d: Buffer) => {
      if (stderr.length < 4000) stderr += d.toString();
    });
    child.stdout.on('data', (d: Buffer) => {
      try {
        splitter.push(d);
      } catch (e) {
        child.kill('SIGKILL');
        finish(new VadError('bad_video', e instanceof Error ? e.message : String(e)));
        return;
      }
      if (splitter.frames.length > opts.maxFrames) {
        child.kill('SIGKILL');
        finish(
          new VadError(
            'too_many_frames',
            `the video has more than ${opts.maxFrames} frames (VAD_MAX_FRAMES)${opts.fps ? ` at fps=${opts.fps}` : ''}; send a lower fps=<n> custom attribute or a shorter video`,
            { max: opts.maxFrames },
          ),
        );
      }
    });
    child.on('close', (code) => {
      if (code !== 0) {
        finish(new VadError('bad_video', `ffmpeg could not decode the video: ${stderr.trim().split('\n').slice(-2).join(' ') || `exit ${code}`}`));
        return;
      }
      if (splitter.frames.length === 0) {
        finish(new VadError('bad_video', 'the video has no frames'));
        return;
      }
      finish(
        null,
        splitter.frames.map((f) => new Uint8Array(f.buffer, f.byteOffset, f.byteLength)),
      );
    });
  });
}
