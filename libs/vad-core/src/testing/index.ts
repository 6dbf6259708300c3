export * from './golden-dir';
