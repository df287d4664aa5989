import { z } from 'zod';
import { RhoError } from '@rho/core/base';
import { pyStr } from '../normalize/python.ts';
import { pyStrip } from '../normalize/python.ts';
import { field } from './record-fields.ts';
import { CHOICE_PROMPT, type DatasetSpec } from './types.ts';

/** SAT math: options come as one string "A) ... B) ... C) ... D) ...". */
export const satMath: DatasetSpec = {
  name: 'sat_math',
  dir: 'sat_math',
  schema: z.looseObject({ question: z.string(), options: z.string(), Answer: z.string() }),
  question(r) {
    let options = pyStrip(r.options as string);
    if (!options.startsWith('A')) {
      throw new RhoError('BAD_INPUT', 'sat_math options must start with "A)"', { field: 'options', got: options.slice(0, 40) });
    }
    options = `(${options}`;
    for (const ch of 'BCD') options = options.replaceAll(` ${ch}) `, ` (${ch}) `);
    return `${pyStrip(r.question as string)}\n${CHOICE_PROMPT}\n${pyStrip(options)}`;
  },
  rawAnswer: (r) => r.Answer as string,
  groundTruth: (r) => ({ gtCot: null, gt: pyStr(field(r, 'Answer', 'sat_math')) }),
  answer: 'choice',
  // no demos of its own: the harness borrows MMLU's
  family: 'mmlu_stem',
  framing: 'problem',
  fewShot: ['cot'],
  default: true,
};
