export * from './load.ts';
export * from './save.ts';
