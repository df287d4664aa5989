export {};
export * from './datasets/index.ts';
export * from './prompts/index.ts';
