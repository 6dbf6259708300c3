import type { AiVadConfig, AttributeName, Manifest, StageName } from '@vad/contracts';
import type { Float32Tensor } from './tensor';

/** A decoded, resized frame: float32 RGB in [0, 1], [3, H, W] at the model's working size. */
export interface PreparedFrame {
  readonly image: Float32Tensor;
  /** [height, width] of the frame as sent, to scale boxes back. */
  readonly originalSize: readonly [number, number];
}

export type Box = [number, number, number, number];

export interface RegionScore {
  /** xyxy in the working space. */
  box: Box;
  source: 'detector' | 'foreground';
  label: number;
  confidence: number;
  /** Sum of the enabled attributes' normalised scores. */
  score: number;
  attributes: Partial<Record<AttributeName, number>>;
  /** Mean flow magnitude per direction bin, when velocity is enabled. */
  velocityBins?: number[];
  /** Block-matched speed in px/frame (built-in regions with velocityFrom 'moving-pixels-p90+matched'). */
  matchedSpeed?: number;
}

export interface ClipScore {
  /** Sum over enabled attributes of the max normalised score over regions; without regions see noRegionScore. */
  score: number;
  /** In anomalib's order (ascending area after overlap removal). */
  regions: RegionScore[];
  /**
   * Built-in regions only: pixels moved but no region survived anomalib's filters, so `score` is
   * the no-region score for motion (see noRegionScore), not 0.
   */
  unresolvedMotion?: boolean;
  timingsMs: Record<string, number>;
}

export type StageProvider = 'cpu' | 'cuda' | 'builtin' | 'none';

export interface LoadOptions {
  executionProvider?: 'cpu' | 'cuda' | 'auto';
  /** Intra-op threads per ONNX session. */
  threads?: number;
}
