/** A video with one label per frame (1 = anomalous), RGB HWC uint8 frames. */
export interface LabelledVideo {
  readonly id: string;
  readonly width: number;
  readonly height: number;
  readonly frames: readonly Uint8Array[];
  readonly labels: Uint8Array;
}

/** One row of bench:quality: normal videos to fit on, labelled test videos never fitted on. */
export interface QualitySet {
  readonly name: string;
  readonly train: readonly LabelledVideo[];
  readonly test: readonly LabelledVideo[];
}
