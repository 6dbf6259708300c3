import { isVadError, type VadError } from '../errors';

/** The VadError a promise rejects with; fails the test if it resolves or rejects with anything else. */
export async function rejection(p: Promise<unknown>): Promise<VadError> {
  try {
    await p;
  } catch (e) {
    if (isVadError(e)) return e;
    throw e;
  }
  throw new Error('expected a VadError');
}

/** The VadError a call throws; fails the test if it returns or throws anything else. */
export function thrown(f: () => unknown): VadError {
  try {
    f();
  } catch (e) {
    if (isVadError(e)) return e;
    throw e;
  }
  throw new Error('expected a VadError');
}
