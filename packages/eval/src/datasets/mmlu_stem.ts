import { z } from 'zod';
import { pyStrip } from './pytext.ts';
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
};
