import { onnx } from 'onnx-proto';

/**
 * A small ONNX graph builder (onnx-proto): vad-core generates its own graphs (the kNN distance
 * graph) and the tests generate small models that honour each stage contract, so no large files
 * are needed to exercise the ONNX paths.
 */
export type OnnxElemType = 'float32' | 'int64' | 'int32' | 'uint8' | 'bool';

const ELEM: Record<OnnxElemType, number> = {
  float32: onnx.TensorProto.DataType.FLOAT,
  uint8: onnx.TensorProto.DataType.UINT8,
  int32: onnx.TensorProto.DataType.INT32,
  int64: onnx.TensorProto.DataType.INT64,
  bool: onnx.TensorProto.DataType.BOOL,
};

/** A dimension: a fixed size, or a named dynamic axis. */
export type Dim = number | string;

export interface ValueSpec {
  name: string;
  type: OnnxElemType;
  shape: readonly Dim[];
}

export type AttrValue = number | string | readonly number[] | { floats: readonly number[] } | { float: number };

export interface NodeSpec {
  op: string;
  inputs: readonly string[];
  outputs: readonly string[];
  attrs?: Record<string, AttrValue>;
  name?: string;
  domain?: string;
}

export interface InitializerSpec {
  name: string;
  type: 'float32' | 'int64' | 'int32';
  dims: readonly number[];
  values: Float32Array | readonly number[] | BigInt64Array | Int32Array;
}

export interface GraphSpec {
  name: string;
  inputs: readonly ValueSpec[];
  outputs: readonly ValueSpec[];
  nodes: readonly NodeSpec[];
  initializers?: readonly InitializerSpec[];
  /** Default opset 17 (ReduceMin and ReduceSumSquare still take `axes` as an attribute there). */
  opset?: number;
}

function valueInfo(v: ValueSpec): onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: ELEM[v.type],
        shape: { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

function attribute(name: string, v: AttrValue): onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if (typeof v === 'number') {
    return Number.isInteger(v) ? { name, type: A.INT, i: v } : { name, type: A.FLOAT, f: v };
  }
  if (typeof v === 'string') return { name, type: A.STRING, s: Buffer.from(v, 'utf8') };
  if (Array.isArray(v)) return { name, type: A.INTS, ints: v as number[] };
  if ('floats' in (v as object)) return { name, type: A.FLOATS, floats: [...(v as { floats: number[] }).floats] };
  return { name, type: A.FLOAT, f: (v as { float: number }).float };
}

function initializer(i: InitializerSpec): onnx.ITensorProto {
  const t: onnx.ITensorProto = { name: i.name, dims: [...i.dims], dataType: ELEM[i.type] };
  if (i.type === 'float32') {
    const f = i.values instanceof Float32Array ? i.values : Float32Array.from(i.values as number[]);
    t.rawData = new Uint8Array(f.buffer, f.byteOffset, f.byteLength);
  } else if (i.type === 'int64') {
    const b = i.values instanceof BigInt64Array ? i.values : BigInt64Array.from((i.values as number[]).map((x) => BigInt(x)));
    t.rawData = new Uint8Array(b.buffer, b.byteOffset, b.byteLength);
  } else {
    const n = i.values instanceof Int32Array ? i.values : Int32Array.from(i.values as number[]);
    t.rawData = new Uint8Array(n.buffer, n.byteOffset, n.byteLength);
  }
  return t;
}

/** Serialises a graph to ONNX model bytes (irVersion 8). */
export function buildOnnxModel(spec: GraphSpec): Uint8Array {
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'vad-serve',
    opsetImport: [{ domain: '', version: spec.opset ?? 17 }],
    graph: {
      name: spec.name,
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: (spec.initializers ?? []).map(initializer),
      node: spec.nodes.map((n, k) => ({
        opType: n.op,
        name: n.name ?? `${n.op}_${k}`,
        domain: n.domain ?? '',
        input: [...n.inputs],
        output: [...n.outputs],
        attribute: Object.entries(n.attrs ?? {}).map(([name, v]) => attribute(name, v)),
      })),
    },
  });
  return onnx.ModelProto.encode(model).finish();
}
