import { QUALITY_SCENES, TRAIN_SCENES, generateScene } from '@vad/core/testing';
import type { LabelledVideo, QualitySet } from './quality-set';

/** The default model's own generator: its training scenes and the held-out test seeds. */
export function walkwaySet(): QualitySet {
  const video = (id: string, seed: number, frames: number, kind: 'train' | 'test'): LabelledVideo => {
    const s = generateScene({ seed, frames, kind });
    return { id, width: s.width, height: s.height, frames: s.frames, labels: s.labels };
  };
  return {
    name: "walkway (default model's generator)",
    train: TRAIN_SCENES.map(({ seed, frames }) => video(`walkway-${seed}`, seed, frames, 'train')),
    test: QUALITY_SCENES.map(({ seed, frames }) => video(`test-${seed}`, seed, frames, 'test')),
  };
}
