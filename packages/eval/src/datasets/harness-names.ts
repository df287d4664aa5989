import { solutionGroundTruth } from './math.ts';
import type { BenchmarkRules } from './types.ts';

/**
 * data_names the harness's parsers and prompts know but that have no data here: MATH-style
 * benchmarks (their answer is the solution's \boxed{}), and `math_oai`, the folder of MATH-500,
 * which the harness treats as plain MATH (MATH's demos, the answer re-read from gt_cot) where
 * minerva_math has rules of its own. Scoring and prompting accept these names; loading does not
 * (getDataset maps math_oai to minerva_math by its folder).
 */
const mathStyle = (name: string, rules: Pick<BenchmarkRules, 'family' | 'framing' | 'fewShot'>): BenchmarkRules => ({
  name,
  groundTruth: solutionGroundTruth(name),
  rereadsSolution: true,
  answer: 'expression',
  ...rules,
});

export const HARNESS_ONLY: readonly BenchmarkRules[] = [
  mathStyle('math_oai', { family: 'math', framing: 'problem', fewShot: ['cot', 'pal', 'tora'] }),
  mathStyle('ocw', { family: 'ocw', framing: 'question', fewShot: [] }),
  mathStyle('amps', { family: 'amps', framing: 'question', fewShot: [] }),
  mathStyle('hungarian_exam', { family: 'hungarian_exam', framing: 'problem', fewShot: [] }),
];
