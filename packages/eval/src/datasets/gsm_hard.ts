import { z } from 'zod';
import { field, floatStr } from './record-fields.ts';
import type { DatasetSpec } from './types.ts';

/** GSM-Hard: GSM8K with larger numbers; `input` is the question, `target` the answer. */
export const gsmHard: DatasetSpec = {
  name: 'gsm_hard',
  dir: 'gsm_hard',
  schema: z.looseObject({ input: z.string(), target: z.union([z.number(), z.string()]) }),
  question: (r) => r.input as string,
  rawAnswer: (r) => String(r.target),
  groundTruth: (r) => ({ gtCot: field(r, 'code', 'gsm_hard'), gt: floatStr(field(r, 'target', 'gsm_hard')) }),
  answer: 'number',
  family: 'gsm8k',
  framing: 'question',
  fewShot: ['cot', 'pal', 'tora'],
};
