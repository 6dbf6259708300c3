import { VadError } from '@vad/core';
import { inflateBounded } from './bounded-inflate';
import { commonGlobals, NumpyDType, numpyArray } from './numpy-globals';
import { torchGlobals } from './torch-tensors';
import { ByteReader, unpickle, type Buildable, type PickleGlobal } from './unpickler';

/**
 * joblib.dump files. Arrays are not pickled: after the BUILD of a NumpyArrayWrapper, joblib writes
 * the raw array bytes straight into the stream (joblib ≥ 1.2 first writes one pad-length byte and
 * that many pad bytes, to align the data to `numpy_array_alignment_bytes`), then the pickle goes
 * on. compress=N files are one zlib (or gzip) stream around the same bytes.
 */
class NumpyArrayWrapper implements Buildable {
  __setstate__(state: unknown, reader: ByteReader): void {
    if (!(state instanceof Map)) throw new VadError('unsupported_format', 'joblib NumpyArrayWrapper state is not a dict');
    const shape = state.get('shape') as number[];
    const dtype = state.get('dtype');
    const order = state.get('order');
    if (!(dtype instanceof NumpyDType)) throw new VadError('unsupported_format', 'joblib array without a numpy dtype (object arrays are not supported)');
    if (state.has('numpy_array_alignment_bytes')) reader.take(reader.u8());
    const type = dtype.stored('joblib array');
    const n = shape.reduce((a, b) => a * b, 1);
    const bytes = { f2: 2, bf16: 2, f4: 4, f8: 8, i8: 8, i4: 4, i2: 2, i1: 1, u1: 1, b1: 1 }[type] * n;
    Object.assign(this, numpyArray(dtype, [...shape], order === 'F', reader.take(bytes), 'joblib array'));
  }
}

export function readJoblib(file: Uint8Array, source: string): unknown {
  let bytes = file;
  if (file[0] === 0x78) bytes = inflateBounded('zlib', file, source);
  else if (file[0] === 0x1f && file[1] === 0x8b) bytes = inflateBounded('gzip', file, source);
  else if (file[0] !== 0x80) {
    throw new VadError(
      'unsupported_format',
      `${source} is not a joblib pickle (uncompressed, zlib or gzip); re-dump it with joblib.dump(obj, path) or compress=3`,
    );
  }
  // The tutorial dumps torch tensors, which pickle through _rebuild_tensor_v2 and _load_from_bytes.
  const globals = new Map<string, PickleGlobal>([...commonGlobals(), ...torchGlobals(source)]);
  globals.set('joblib.numpy_pickle.NumpyArrayWrapper', { construct: () => new NumpyArrayWrapper() });
  return unpickle(new ByteReader(bytes, source), { globals, source });
}
