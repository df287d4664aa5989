import { z } from 'zod';
import { lastBoxedContent } from '../extract/boxed.ts';
import { extractFreeAnswer } from '../extract/free-answer.ts';
import { textField } from './record-fields.ts';
import type { DatasetSpec, RawGroundTruth, RawRecord } from './types.ts';

/**
 * The ground truth of MATH-style records: the solution is gt_cot, the answer is read from it as
 * from a completion. `name` is only for error messages.
 */
export function solutionGroundTruth(name: string): (record: RawRecord) => RawGroundTruth {
  return (r) => {
    const gtCot = textField(r, 'solution', name);
    return { gtCot, gt: extractFreeAnswer(gtCot) };
  };
}

const schema = z.looseObject({ problem: z.string(), solution: z.string() });
// The harness takes MATH's answer from the solution's last \boxed{}, also for MATH-500 whose
// records carry an `answer` field.
const rawAnswer = (r: RawRecord) => lastBoxedContent(r.solution as string) ?? '';

/** MATH, all 5000 test problems. */
export const math: DatasetSpec = {
  name: 'math',
  dir: 'math',
  schema,
  question: (r) => r.problem as string,
  rawAnswer,
  groundTruth: solutionGroundTruth('math'),
  rereadsSolution: true,
  answer: 'expression',
  family: 'math',
  framing: 'problem',
  fewShot: ['cot', 'pal', 'tora'],
};

/** MATH-500 (the OpenAI "Let's verify step by step" subset), which the harness calls minerva_math. */
export const minervaMath: DatasetSpec = {
  ...math,
  name: 'minerva_math',
  dir: 'math_oai',
  groundTruth: solutionGroundTruth('minerva_math'),
  // the harness's re-parse list names the folder (math_oai), not minerva_math: gt is normalised again
  rereadsSolution: false,
  family: 'minerva_math',
  fewShot: ['cot'],
  default: true,
};
