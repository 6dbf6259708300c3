/** Options shared by the anomalib importers. */
export interface ImportOptions {
  /** Model name in manifest.json (default: anomalib-ai-vad). */
  readonly name?: string;
  /** Folder with tools/onnx-export's regions/flow/pose/appearance .onnx files (any subset). */
  readonly onnxDir?: string;
  /** Replace an existing model dir. */
  readonly overwrite?: boolean;
  /** Working size [H, W] when the input does not say (a checkpoint without config.yaml). */
  readonly imageSize?: [number, number];
  /** Fixed createdAt (reproducible imports). */
  readonly createdAt?: Date;
  /** A line per step, for the CLI's progress. */
  readonly onStep?: (step: string) => void;
}
