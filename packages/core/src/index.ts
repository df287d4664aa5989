export * from './errors.ts';
export * from './datadir.ts';
export * from './io/atomic.ts';
export * from './io/jsonl.ts';
export * from './cli/report.ts';
export * from './cli/program.ts';
