export { parseGroundTruth, groundTruthForScoring, GROUND_TRUTH_DATASETS, SOLUTION_BOXED_DATASETS, type GroundTruth } from './parse.ts';
