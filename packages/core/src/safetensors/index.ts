export * from './dtype.ts';
export * from './format.ts';
export * from './sharded.ts';
export * from './stream-writer.ts';
