import type { StageName } from '@vad/contracts';
import { buildOnnxModel, type Dim, type InitializerSpec, type NodeSpec, type OnnxElemType, type ValueSpec } from '../../runtime/onnx-graph';
import { STAGE_CONTRACTS } from '../../runtime/stage-contract';

export interface StubFaults {
  /** Rename an input or output: [contract name, name in the model]. */
  rename?: readonly [string, string];
  /** Give an input or output this shape instead of the contract's. */
  reshape?: { name: string; shape: readonly Dim[] };
  /** Give an input or output this element type. */
  retype?: { name: string; type: OnnxElemType };
  /** Leave this output out (a graph needs at least one output left). */
  drop?: string;
  /** Add an extra input the runner does not feed. */
  extraInput?: string;
}

/**
 * A model with a stage's inputs and outputs (as the contract says, unless a fault changes them)
 * whose outputs are constant empty tensors: it loads, so the contract check is what rejects it.
 */
export function buildStubStageModel(stage: StageName, faults: StubFaults = {}): Uint8Array {
  const contract = STAGE_CONTRACTS[stage];
  const value = (t: { name: string; types: readonly string[]; dims: readonly Dim[] }): ValueSpec => {
    const name = faults.rename?.[0] === t.name ? faults.rename[1] : t.name;
    const shape = faults.reshape?.name === t.name ? faults.reshape.shape : t.dims;
    const type = faults.retype?.name === t.name ? faults.retype.type : (t.types[0] as OnnxElemType);
    return { name, shape, type };
  };
  const inputs = contract.inputs.map(value);
  if (faults.extraInput) inputs.push({ name: faults.extraInput, type: 'float32', shape: [1] });
  const outputs = contract.outputs.filter((o) => !o.optional && o.name !== faults.drop).map(value);
  const nodes: NodeSpec[] = [];
  const initializers: InitializerSpec[] = [];
  outputs.forEach((o, k) => {
    // Every dynamic axis is 0 and fixed axes keep their size, so the declared rank holds.
    const dims = o.shape.map((d) => (typeof d === 'number' ? d : 0));
    initializers.push({ name: `stub_shape_${k}`, type: 'int64', dims: [dims.length], values: dims });
    nodes.push({ op: 'ConstantOfShape', inputs: [`stub_shape_${k}`], outputs: [`stub_${k}`] });
    nodes.push({ op: 'Cast', inputs: [`stub_${k}`], outputs: [o.name], attrs: { to: ONNX_TYPE_CODE[o.type] } });
  });
  return buildOnnxModel({ name: `stub_${stage}`, inputs, outputs, nodes, initializers });
}

const ONNX_TYPE_CODE: Record<OnnxElemType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9 };

/** The three broken models every runner must reject, by stage. */
export function buildWrongInputNameModel(stage: StageName): Uint8Array {
  const first = STAGE_CONTRACTS[stage].inputs[0].name;
  return buildStubStageModel(stage, { rename: [first, first === 'image' ? 'img' : `${first}_x`] });
}

export function buildWrongRankModel(stage: StageName): Uint8Array {
  const first = STAGE_CONTRACTS[stage].inputs[0];
  // [3,H,W] ↔ [1,3,H,W]: the mistake an exporter makes most easily.
  const shape = first.dims.length === 4 ? first.dims.slice(1) : [1, ...first.dims];
  return buildStubStageModel(stage, { reshape: { name: first.name, shape } });
}

/** The stage's first output under the name torch.onnx.export gives when output_names is left out. */
export function buildMissingOutputModel(stage: StageName): Uint8Array {
  return buildStubStageModel(stage, { rename: [STAGE_CONTRACTS[stage].outputs[0].name, 'output0'] });
}
