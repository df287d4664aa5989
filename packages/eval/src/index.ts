export {};
export * from './datasets/index.ts';
