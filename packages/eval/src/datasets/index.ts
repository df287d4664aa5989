export * from './types.ts';
export * from './registry.ts';
export * from './question.ts';
export * from './load.ts';
export { lastBoxed } from './math.ts';
export { pyStrip, pyRepr, pyReprStr, parsePyStringList } from './pytext.ts';
