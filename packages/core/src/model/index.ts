export * from './llama.ts';
export * from './mask.ts';
export * from './rope.ts';
