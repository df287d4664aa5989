export * from './format.ts';
export * from './token-file.ts';
export * from './tokenizer.ts';
export * from './input.ts';
export * from './prepare.ts';
export * from './windows.ts';
export * from './corpus.ts';
export * from './random.ts';
