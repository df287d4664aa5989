export {
  rescoreSamples,
  rescoreSamplesAsync,
  sandboxRunner,
  type ProgramRunner,
  datasetIndex,
  dataFolderFor,
  type OutputRecord,
  type RescoredRecord,
  type RescoreInput,
  type RescoreResult,
} from './rescore.ts';
export { computeMetrics, metricsForPolicy, percent1, type Metrics, type ScoredSample } from './metrics.ts';
export { gradeSample, GRADER_POLICIES, type GradeOptions, type GradedSample, type GraderPolicy } from './grade-sample.ts';
