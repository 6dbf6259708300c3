import { VadError } from './errors';
/** A plain typed tensor: data + shape + dtype, row-major. Nothing clever, on purpose. */
export type DType = 'float32' | 'float64' | 'int32' | 'int64' | 'uint8';

export interface DataOf {
  float32: Float32Array;
  float64: Float64Array;
  int32: Int32Array;
  int64: BigInt64Array;
  uint8: Uint8Array;
}

export interface Tensor<D extends DType = 'float32'> {
  readonly data: DataOf[D];
  readonly shape: readonly number[];
  readonly dtype: D;
}

export type Float32Tensor = Tensor<'float32'>;

export function shapeSize(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function tensor<D extends DType>(dtype: D, data: DataOf[D], shape: readonly number[]): Tensor<D> {
  const n = shapeSize(shape);
  if (data.length !== n) throw new RangeError(`tensor: ${data.length} values do not fill shape [${shape.join(', ')}] (${n})`);
  return { data, shape: [...shape], dtype };
}

export function float32(data: Float32Array | readonly number[], shape: readonly number[]): Float32Tensor {
  return tensor('float32', data instanceof Float32Array ? data : Float32Array.from(data), shape);
}

export function zeros(shape: readonly number[]): Float32Tensor {
  return tensor('float32', new Float32Array(shapeSize(shape)), shape);
}

/** Boxes are float32 [M, 4] xyxy. */
export type Boxes = Float32Tensor;

export function boxCount(boxes: Boxes): number {
  return boxes.shape[0] ?? 0;
}

export function emptyBoxes(): Boxes {
  return zeros([0, 4]);
}

/** [m, d] and [m] → [m, d + 1], the vector as the last column. */
export function appendColumn(matrix: Float32Tensor, column: Float32Array): Float32Tensor {
  const [m, d] = matrix.shape;
  if (matrix.shape.length !== 2 || column.length !== m) {
    throw new VadError('bad_argument', `appendColumn: a [${matrix.shape.join(', ')}] matrix and ${column.length} values`);
  }
  const out = new Float32Array(m! * (d! + 1));
  for (let i = 0; i < m!; i++) {
    out.set(matrix.data.subarray(i * d!, (i + 1) * d!), i * (d! + 1));
    out[i * (d! + 1) + d!] = column[i]!;
  }
  return tensor('float32', out, [m!, d! + 1]);
}
