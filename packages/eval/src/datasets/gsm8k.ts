import { z } from 'zod';
import type { DatasetSpec } from './types.ts';

export const gsm8k: DatasetSpec = {
  name: 'gsm8k',
  dir: 'gsm8k',
  schema: z.looseObject({ question: z.string(), answer: z.string() }),
  question: (r) => r.question as string,
  // "<reasoning>\n#### 18": the answer is what follows the marker
  rawAnswer: (r) => String((r.answer as string).split('####')[1] ?? ''),
};
