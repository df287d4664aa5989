export {};
export * from './datasets/index.ts';
export * from './prompts/index.ts';
// H1: extraction, normalisation, grading, ground truth, re-scoring
export { extractAnswer, runExecute, extractProgram, extractProgramOutput, extractMultiChoice, lastBoxedContent, type PalExecutor, type PalResult, type Prediction } from './extract/index.ts';
export { normalize, stripString } from './normalize/index.ts';
export { mathEqual, isEquivalent, type EqualOptions, type Verdict, type EqualReason } from './grader/index.ts';
export { parseGroundTruth, groundTruthForScoring, GROUND_TRUTH_DATASETS, type GroundTruth } from './groundtruth/index.ts';
export { rescoreSamples, rescoreSamplesAsync, type ProgramRunner, computeMetrics, datasetIndex, dataFolderFor, type OutputRecord, type RescoredRecord, type RescoreInput, type RescoreResult, type Metrics } from './rescore/index.ts';
export * from './datafetch/index.ts';
