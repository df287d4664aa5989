import { z } from 'zod';
// core's index pulls in tensor code; the error class alone keeps scoring light (same module, same class).
import { RhoError } from '@rho/core/base';
import { textField } from './record-fields.ts';
import type { DatasetSpec } from './types.ts';

export const gsm8k: DatasetSpec = {
  name: 'gsm8k',
  dir: 'gsm8k',
  schema: z.looseObject({ question: z.string(), answer: z.string() }),
  question: (r) => r.question as string,
  // "<reasoning>\n#### 18": the answer is what follows the marker
  rawAnswer: (r) => String((r.answer as string).split('####')[1] ?? ''),
  groundTruth(r) {
    const parts = textField(r, 'answer', 'gsm8k').split('####');
    if (parts.length !== 2) throw new RhoError('BAD_INPUT', 'gsm8k answer must contain exactly one "####"', { field: 'answer' });
    return { gtCot: parts[0], gt: parts[1]! };
  },
  answer: 'number',
  family: 'gsm8k',
  framing: 'question',
  fewShot: ['cot', 'pal', 'tora'],
  default: true,
};
