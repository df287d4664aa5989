import { z } from 'zod';
import { pyStrip } from '../normalize/python.ts';
import { field, floatStr } from './record-fields.ts';
import type { DatasetSpec } from './types.ts';

export const svamp: DatasetSpec = {
  name: 'svamp',
  dir: 'svamp',
  schema: z.looseObject({ Body: z.string(), Question: z.string(), Answer: z.union([z.number(), z.string()]) }),
  question(r) {
    let body = pyStrip(r.Body as string);
    if (!body.endsWith('.')) body += '.';
    return `${body} ${pyStrip(r.Question as string)}`;
  },
  rawAnswer: (r) => String(r.Answer),
  groundTruth: (r) => ({ gtCot: field(r, 'Equation', 'svamp'), gt: floatStr(field(r, 'Answer', 'svamp')) }),
  answer: 'number',
  family: 'gsm8k',
  framing: 'question',
  fewShot: ['cot', 'pal', 'tora'],
  default: true,
};
