// The tensor-free part of core: errors, data directory, file I/O, CLI plumbing (the one kit of option parsers, progress bars and error reporting), the seeded generator. Packages that only
// need these (the grader, the data tools) import '@rho/core/base' and never load TensorFlow.js.
export * from './errors.ts';
export * from './datadir.ts';
export * from './io/atomic.ts';
export * from './io/jsonl.ts';
export * from './io/input.ts';
export * from './cli/report.ts';
export * from './cli/program.ts';
export * from './cli/options.ts';
export * from './cli/progress.ts';
export { findStop, makeRng } from './generate/sampling.ts';
export * from './io/process-identity.ts';
export * from './io/output-lock.ts';
export * from './io/checked-lines.ts';
export { checkpointFingerprint } from './checkpoint/fingerprint.ts';
