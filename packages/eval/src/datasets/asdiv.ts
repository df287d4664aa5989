import { z } from 'zod';
import { pyStrip } from './pytext.ts';
import type { DatasetSpec } from './types.ts';

export const asdiv: DatasetSpec = {
  name: 'asdiv',
  dir: 'asdiv',
  schema: z.looseObject({ body: z.string(), question: z.string(), answer: z.string() }),
  question: (r) => `${pyStrip(r.body as string)} ${pyStrip(r.question as string)}`,
  // "9 (apples)": the harness drops every parenthesised part (non-greedy, not across lines: Python's `.`)
  rawAnswer: (r) => (r.answer as string).replace(/\([^\n]*?\)/g, ''),
};
