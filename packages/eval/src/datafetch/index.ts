export * from './manifest.ts';
export * from './download.ts';
export * from './fetch.ts';
export * from './transforms.ts';
export { pyJsonDumps } from './pyjson.ts';
export { dataProgram } from './cli.ts';
