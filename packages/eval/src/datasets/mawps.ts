import { z } from 'zod';
import { field, floatStr } from './record-fields.ts';
import type { DatasetSpec } from './types.ts';

/** MAWPS: test.jsonl concatenates singleeq, singleop, addsub and multiarith, each row typed. */
export const mawps: DatasetSpec = {
  name: 'mawps',
  dir: 'mawps',
  schema: z.looseObject({ input: z.string(), target: z.union([z.number(), z.string()]) }),
  question: (r) => r.input as string,
  rawAnswer: (r) => String(r.target),
  groundTruth: (r) => ({ gtCot: null, gt: floatStr(field(r, 'target', 'mawps')) }),
  answer: 'number',
  family: 'gsm8k',
  framing: 'question',
  fewShot: ['cot', 'pal', 'tora'],
  default: true,
};
