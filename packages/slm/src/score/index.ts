export * from './float16.ts';
export * from './store.ts';
export * from './run.ts';
export * from './remote.ts';
