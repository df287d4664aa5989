import { z } from 'zod';
import { pyStrip } from '../normalize/python.ts';
import { field, textField } from './record-fields.ts';
import type { DatasetSpec } from './types.ts';

// "9 (apples)": the harness drops every parenthesised part (non-greedy, not across lines: Python's `.`)
const dropParenthesised = (answer: string) => answer.replace(/\([^\n]*?\)/g, '');

export const asdiv: DatasetSpec = {
  name: 'asdiv',
  dir: 'asdiv',
  schema: z.looseObject({ body: z.string(), question: z.string(), answer: z.string() }),
  question: (r) => `${pyStrip(r.body as string)} ${pyStrip(r.question as string)}`,
  rawAnswer: (r) => dropParenthesised(r.answer as string),
  groundTruth: (r) => ({ gtCot: field(r, 'formula', 'asdiv'), gt: dropParenthesised(textField(r, 'answer', 'asdiv')) }),
  answer: 'number',
  family: 'gsm8k',
  framing: 'question',
  fewShot: ['cot', 'pal', 'tora'],
  default: true,
};
