import { z } from 'zod';
// core's index pulls in tensor code; the error class alone keeps scoring light (same module, same class).
import { RhoError } from '@rho/core/base';
import { pyStrip } from '../normalize/python.ts';
import { field } from './record-fields.ts';
import { CHOICE_PROMPT, type DatasetSpec, type RawRecord } from './types.ts';

const LETTERS = 'ABCD';

function letteredChoices(r: RawRecord): string[] {
  return (r.choices as unknown[]).map((c, i) => `(${LETTERS[i]}) ${pyStrip(String(c))}`);
}

/** MMLU, its 18 STEM subjects (3018 questions), four choices, answer as an index. */
export const mmluStem: DatasetSpec = {
  name: 'mmlu_stem',
  dir: 'mmlu_stem',
  schema: z.looseObject({
    question: z.string(),
    choices: z.array(z.union([z.string(), z.number()])).length(4),
    answer: z.number().int().min(0).max(3),
  }),
  question: (r) => `${pyStrip(r.question as string)}\n${CHOICE_PROMPT}\n${letteredChoices(r).join(', ')}`,
  rawAnswer: (r) => LETTERS[r.answer as number] ?? '',
  // parse_question rewrites the record's choices in place, so output files carry the lettered form
  mutated: (r) => ({ ...r, choices: letteredChoices(r) }),
  groundTruth(r) {
    const i = field(r, 'answer', 'mmlu_stem');
    const letter = typeof i === 'number' ? LETTERS[i] : undefined;
    if (letter === undefined) throw new RhoError('BAD_INPUT', `mmlu_stem answer must be 0-3, got ${String(i)}`, { field: 'answer', got: i });
    return { gtCot: null, gt: letter };
  },
  answer: 'choice',
  family: 'mmlu_stem',
  framing: 'problem',
  fewShot: ['cot'],
};
