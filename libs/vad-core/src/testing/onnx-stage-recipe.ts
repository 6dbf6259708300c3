import { type FitResult, type FitVideo, fitModel } from '../fit';
import { sceneVideo } from './default-model-recipe';
import { buildAppearanceModel, buildFlowModel, buildPoseModel, buildRegionsModel } from './stage-models';
import { generateScene } from './synthetic-scene';

/**
 * A small model whose four stages are all generated ONNX networks (stage-models.ts), fitted on
 * synthetic scenes: the whole pipeline through onnxruntime without large files, for vad-core's and
 * the server's tests alike.
 */
export const ONNX_RECIPE_IMAGE: [number, number] = [64, 96];
/** Scenes drawn at the working size, so frames need no resize. */
export const ONNX_RECIPE_SCENE = { width: 96, height: 64 };
/**
 * The test detector scores a box by its mean brightness: with the default 0.8 threshold most boxes
 * would be dropped, and the point is to run every stage.
 */
export const ONNX_RECIPE_MODEL = { box_score_thresh: 0, min_bbox_area: 0, n_velocity_bins: 2, n_components_velocity: 2 };

export function onnxRecipeStages() {
  return { regions: buildRegionsModel(), flow: buildFlowModel(), pose: buildPoseModel(), appearance: buildAppearanceModel() };
}

/** Two normal training videos of six frames (seeds 1 and 2). */
export function onnxRecipeVideos(): FitVideo[] {
  return [1, 2].map((seed) => sceneVideo(`v${seed}`, generateScene({ seed, frames: 6, kind: 'train', ...ONNX_RECIPE_SCENE }), ONNX_RECIPE_IMAGE));
}

/** Fits the four-ONNX-stage model into `outDir`. */
export function fitOnnxRecipeModel(outDir: string, name = 'four-onnx-stages'): Promise<FitResult> {
  return fitModel({
    config: { dataset: { image_size: ONNX_RECIPE_IMAGE }, model: ONNX_RECIPE_MODEL },
    videos: onnxRecipeVideos(),
    stages: onnxRecipeStages(),
    name,
    outDir,
  });
}
