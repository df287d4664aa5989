export * from './types.ts';
export * from './stop-words.ts';
export * from './few-shot.ts';
export * from './construct.ts';
