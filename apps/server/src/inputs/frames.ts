/** Request → frames (①): what every input parser produces. */
export type FrameSource = { kind: 'bytes'; bytes: Uint8Array } | { kind: 's3'; uri: string };

export type ParsedRequest =
  /** N frames → N−1 results (each frame t scored with t−1). */
  | { form: 'sequence'; frames: FrameSource[] }
  /** Independent clips: only each clip's first and last frames are used (anomalib, clip length L > 2). */
  | { form: 'clips'; clips: Array<{ first: FrameSource; last: FrameSource; lastIndex: number }> }
  /** Stateful-session control bodies (LMI convention): `{"requestType": "NEW_SESSION" | "CLOSE"}`. */
  | { form: 'control'; requestType: 'NEW_SESSION' | 'CLOSE' };
