import { z } from 'zod';
import { RhoError } from '@rho/core/base';
import { pyStrip } from '../normalize/python.ts';
import { parsePyStringList, pyCapitalizeFirst } from './pytext.ts';
import { field, textField } from './record-fields.ts';
import { CHOICE_PROMPT, type DatasetSpec } from './types.ts';

/**
 * MathQA (1000 sampled test problems): options are "a ) 12 , b ) 16 , ..." (sometimes a Python
 * list literal, sometimes with the letter doubled, "a ) a ) 12"); they become "(A) 12, (B) 16, ...".
 */
export const mathqa: DatasetSpec = {
  name: 'mathqa',
  dir: 'mathqa',
  schema: z.looseObject({ problem: z.string().min(1), options: z.string().min(1), correct: z.string() }),
  question(r) {
    let options = pyStrip(r.options as string);
    if (options.startsWith('[')) options = parsePyStringList(options).join(', ');
    if (!options.startsWith('a')) {
      throw new RhoError('BAD_INPUT', 'mathqa options must start with "a )"', { field: 'options', got: options.slice(0, 40) });
    }
    for (const ch of 'abcde') {
      if (options.includes(`${ch} ) `)) {
        options = options.replaceAll(`${ch} ) ${ch} ) `, `${ch} ) `);
        options = options.replaceAll(`${ch} ) `, `(${ch.toUpperCase()}) `);
      }
    }
    options = options.replaceAll(' , ', ', ');
    const problem = pyStrip(pyCapitalizeFirst(r.problem as string));
    return `${problem}\n${CHOICE_PROMPT}\n${pyStrip(options)}`;
  },
  rawAnswer: (r) => (r.correct as string).toUpperCase(),
  groundTruth(r) {
    const gtCot = field(r, 'rationale', 'mathqa');
    const gt = textField(r, 'correct', 'mathqa').toUpperCase();
    if (!['A', 'B', 'C', 'D', 'E'].includes(gt))
      throw new RhoError('BAD_INPUT', `mathqa answer must be a letter A-E, got ${gt}`, { field: 'correct', got: gt });
    return { gtCot, gt };
  },
  answer: 'choice',
  family: 'mathqa',
  framing: 'problem',
  fewShot: ['cot'],
};
