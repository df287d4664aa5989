export * from './adamw.ts';
export * from './clip.ts';
export * from './data.ts';
export * from './loop.ts';
export * from './rng.ts';
export * from './schedule.ts';
export * from './state.ts';
export * from './step.ts';
