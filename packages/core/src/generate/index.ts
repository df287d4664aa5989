export * from './run-generation.ts';
export * from './generate.ts';
export * from './kv-cache.ts';
export * from './sampling.ts';
export * from './decoder-choice.ts';
export * from './native-decoder.ts';
export * from './sequence-end.ts';
export * from './scheduler.ts';
