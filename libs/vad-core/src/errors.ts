/**
 * The error class lives in @vad/contracts (one error home for every project); re-exported here so
 * vad-core's own modules and its users keep importing it from @vad/core.
 */
export { VadError, isVadError, asVadError } from '@vad/contracts';
