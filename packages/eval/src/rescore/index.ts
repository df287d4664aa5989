export { rescoreSamples, rescoreSamplesAsync, type ProgramRunner, datasetIndex, dataFolderFor, type OutputRecord, type RescoredRecord, type RescoreInput, type RescoreResult } from './rescore.ts';
export { computeMetrics, percent1, type Metrics, type ScoredSample } from './metrics.ts';
