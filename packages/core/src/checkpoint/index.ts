export * from './load.ts';
export * from './save.ts';
export * from './parity.ts';
export * from './init.ts';
export * from './checksums.ts';
