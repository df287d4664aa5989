export { rescoreSamples, rescoreSamplesAsync, sandboxRunner, type ProgramRunner, datasetIndex, dataFolderFor, type OutputRecord, type RescoredRecord, type RescoreInput, type RescoreResult } from './rescore.ts';
export { computeMetrics, percent1, type Metrics, type ScoredSample } from './metrics.ts';
export { gradeSample, type GradeOptions, type GradedSample } from './grade-sample.ts';
