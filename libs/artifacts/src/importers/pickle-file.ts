import { commonGlobals } from './numpy-globals';
import { torchGlobals } from './torch-tensors';
import { ByteReader, unpickle } from './unpickler';

/** A plain pickle file (pickle.dump of containers, numpy arrays and torch tensors), read without executing it. */
export function readPickle(bytes: Uint8Array, source: string): unknown {
  return unpickle(new ByteReader(bytes, source), { globals: new Map([...commonGlobals(), ...torchGlobals(source)]), source });
}
