export * from './float16.ts';
export * from './store.ts';
export * from './run.ts';
export * from './window-scorer.ts';
export * from './local-scorers.ts';
export * from './server-scorer.ts';
