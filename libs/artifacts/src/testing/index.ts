// Hostile-file generators and the fuzz runner's driver: shared by the artifacts fuzz spec and
// `nx run bench:hostile`. Not part of the library's runtime surface.
export * from './hostile';
export { writeFuzzCases, type FuzzCase } from './fuzz-cases';
export { runInChild } from './fuzz-child';
export type { FuzzOutcome } from './fuzz-runner';
