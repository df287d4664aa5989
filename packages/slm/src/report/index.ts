export * from './categories.ts';
export * from './charts.ts';
export * from './html.ts';
export * from './summary.ts';
export * from './collect.ts';
export * from './build.ts';
