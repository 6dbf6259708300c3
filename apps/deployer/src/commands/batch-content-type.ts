import { VadError, VIDEO_MEDIA_TYPES } from '@vad/contracts';

/**
 * The Content-Type a Batch Transform job sends with every record. A record is one whole S3 object
 * (SplitType None) and SageMaker sends one type for the whole job, so the type comes from the
 * objects' extensions (or `--content-type`) and must be one the server scores alone: a video, or
 * a JSON document of frames/clips (api.md). A lone image is refused (the server answers
 * `needs_clip`: a frame is scored against the one before it), as is a prefix of mixed types.
 */
export const BATCH_MEDIA_TYPES = ['application/json', ...VIDEO_MEDIA_TYPES] as const;
export type BatchMediaType = (typeof BATCH_MEDIA_TYPES)[number];

const BY_EXTENSION: Record<string, string> = {
  json: 'application/json',
  mp4: 'video/mp4',
  m4v: 'video/mp4',
  webm: 'video/webm',
  avi: 'video/x-msvideo',
  jpg: 'image/jpeg',
  jpeg: 'image/jpeg',
  png: 'image/png',
  webp: 'image/webp',
};

export function mediaTypeOfKey(key: string): string | undefined {
  const m = /\.([A-Za-z0-9]+)$/.exec(key);
  return m ? BY_EXTENSION[m[1]!.toLowerCase()] : undefined;
}

function scorable(type: string): type is BatchMediaType {
  return (BATCH_MEDIA_TYPES as readonly string[]).includes(type);
}

const WHAT_WORKS = `a batch record is scored alone: videos (${VIDEO_MEDIA_TYPES.join(', ')}) or JSON clips ({"frames":[…]}, api.md)`;

export function batchContentType(keys: readonly string[], override?: string): BatchMediaType {
  if (override !== undefined) {
    const type = override.split(';')[0]!.trim().toLowerCase();
    if (!scorable(type)) throw new VadError('unsupported_media_type', `--content-type ${override}: the server cannot score such a record; ${WHAT_WORKS}`);
    return type;
  }
  if (keys.length === 0) throw new VadError('bad_argument', 'the --input prefix holds no objects: nothing to transform');
  const byType = new Map<string, string[]>();
  for (const key of keys) {
    const type = mediaTypeOfKey(key) ?? 'unknown';
    byType.set(type, [...(byType.get(type) ?? []), key]);
  }
  const summary = [...byType].map(([t, ks]) => `${ks.length} ${t} (e.g. ${ks[0]})`).join(', ');
  if (byType.size > 1)
    throw new VadError(
      'unsupported_media_type',
      `the --input prefix mixes types: ${summary}; a job sends one Content-Type for every record: one prefix per type, or --content-type`,
    );
  const [type] = [...byType.keys()] as [string];
  if (!scorable(type))
    throw new VadError('unsupported_media_type', `the --input prefix holds ${summary}; ${WHAT_WORKS} (put frames of one clip into one JSON document)`);
  return type;
}
