import { commonGlobals } from './numpy-globals';
import { ByteReader, unpickle } from './unpickler';

/** A plain pickle file (pickle.dump of containers and numpy arrays), read without executing it. */
export function readPickle(bytes: Uint8Array, source: string): unknown {
  return unpickle(new ByteReader(bytes, source), { globals: new Map(commonGlobals()), source });
}
