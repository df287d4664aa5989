export { parseGroundTruth, groundTruthForScoring, GROUND_TRUTH_DATASETS, type GroundTruth } from './parse.ts';
