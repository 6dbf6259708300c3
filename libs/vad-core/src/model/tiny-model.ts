import type { SafetensorsEntry } from './safetensors';
import type { ModelDirSpec } from './write-model-dir';

/**
 * A small but complete model (velocity B=2 K=2, pose, appearance D=4) for tests of model I/O,
 * packing and the server's loader. The ONNX stage files are opaque bytes: nothing here runs them.
 */
export interface TinyModelOptions {
  readonly pose?: boolean;
  readonly appearance?: boolean;
  readonly name?: string;
}

const f32 = (shape: number[], values: (i: number) => number): SafetensorsEntry => {
  const n = shape.reduce((a, b) => a * b, 1);
  const v = new Float32Array(n);
  for (let i = 0; i < n; i++) v[i] = values(i);
  return { dtype: 'F32', shape, bytes: new Uint8Array(v.buffer) };
};
const i32 = (values: number[]): SafetensorsEntry => ({ dtype: 'I32', shape: [values.length], bytes: new Uint8Array(new Int32Array(values).buffer) });

export function tinyModelSpec(options: TinyModelOptions = {}): ModelDirSpec {
  const pose = options.pose ?? true;
  const appearance = options.appearance ?? false;
  const tensors: Record<string, SafetensorsEntry> = {
    'velocity.gmm.weights': f32([2], (i) => [0.4, 0.6][i]!),
    'velocity.gmm.means': f32([2, 2], (i) => i + 0.5),
    'velocity.gmm.covariances': f32([2, 2, 2], (i) => (i % 3 === 0 ? 1 : 0)),
    'velocity.norm': f32([2], (i) => [-1, 3][i]!),
    'velocity.bank': f32([5, 2], (i) => (i * 7) % 5),
  };
  if (pose) {
    tensors['pose.bank'] = f32([4, 34], (i) => ((i * 13) % 17) / 17);
    tensors['pose.group'] = i32([0, 0, 1, 1]);
    tensors['pose.norm'] = f32([2], (i) => [0.1, 0.9][i]!);
  }
  if (appearance) {
    tensors['appearance.bank'] = f32([3, 4], (i) => i / 3);
    tensors['appearance.group'] = i32([0, 1, 1]);
    tensors['appearance.norm'] = f32([2], (i) => [0, 2][i]!);
  }
  return {
    name: options.name ?? 'tiny-aivad',
    config: {
      dataset: { image_size: [24, 36], clip_length_in_frames: 2 },
      model: {
        name: 'ai_vad',
        box_score_thresh: 0.7,
        n_velocity_bins: 2,
        n_components_velocity: 2,
        use_velocity_features: true,
        use_pose_features: pose,
        use_deep_features: appearance,
      },
    },
    density: { tensors, metadata: { groups: '["01","02"]', k_pose: '1', k_appearance: '1', fitted_with: 'tiny-model test fixture' } },
    stages: {
      regions: { kind: 'onnx', model: new TextEncoder().encode('regions network bytes') },
      flow: { kind: 'builtin', name: 'farneback', params: { levels: 3 } },
      pose: pose ? { kind: 'onnx', model: new TextEncoder().encode('pose network bytes') } : null,
      appearance: appearance ? { kind: 'onnx', model: new TextEncoder().encode('appearance network bytes') } : null,
    },
    source: { kind: 'fit', details: { clips: 4 } },
    createdAt: new Date('2026-01-02T03:04:05Z'),
  };
}
