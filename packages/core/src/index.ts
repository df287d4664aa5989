export * from './errors.ts';
export * from './datadir.ts';
