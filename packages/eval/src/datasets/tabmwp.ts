import { z } from 'zod';
// core's index pulls in tensor code; the error class alone keeps scoring light (same module, same class).
import { RhoError } from '@rho/core/base';
import { pyFloat, pyFloatRepr, pyInt } from '../normalize/python.ts';
import { pyRepr } from './pytext.ts';
import { field, textField } from './record-fields.ts';
import type { DatasetSpec, RawRecord } from './types.ts';

/** Numeric answers ("1/4", "1,250", "15%") become the float math_eval computes; others stay text. */
function tabmwpAnswer(record: RawRecord): string {
  const answer = textField(record, 'answer', 'tabmwp');
  const type = record['ans_type'];
  if (type !== 'integer_number' && type !== 'decimal_number') return answer;
  const bad = () => new RhoError('BAD_INPUT', `tabmwp numeric answer is not a number: ${answer}`, { field: 'answer', got: answer });
  if (answer.includes('/')) {
    const [a, b] = answer.split('/');
    const n = pyInt(a ?? '');
    const d = pyInt(b ?? '');
    if (n === null || d === null || d === 0n) throw bad();
    return pyFloatRepr(Number(n) / Number(d));
  }
  let f: number | null;
  if (answer.includes(',')) f = pyFloat(answer.split(',').join(''));
  else if (answer.includes('%')) {
    const g = pyFloat(answer.split('%')[0]!);
    f = g === null ? null : g / 100;
  } else f = pyFloat(answer);
  if (f === null) throw bad();
  return pyFloatRepr(f);
}

/** TabMWP test1k: the table (pipe-separated text) goes into the question, choices as a Python list. */
export const tabmwp: DatasetSpec = {
  name: 'tabmwp',
  dir: 'tabmwp',
  schema: z.looseObject({
    question: z.string(),
    table: z.string(),
    table_title: z.string().nullable(),
    choices: z.array(z.string()).nullable(),
    answer: z.string(),
    ans_type: z.string(),
  }),
  question(r) {
    const title = r.table_title ? `regarding "${r.table_title as string}" ` : '';
    let q = `Read the following table ${title}and answer a question:\n${r.table as string}\n${r.question as string}`;
    const choices = r.choices as string[] | null;
    // an empty list is falsy in Python too
    if (choices && choices.length > 0) q += ` Please select from the following options: ${pyRepr(choices)}`;
    return q;
  },
  rawAnswer: (r) => r.answer as string,
  groundTruth: (r) => ({ gtCot: field(r, 'solution', 'tabmwp'), gt: tabmwpAnswer(r) }),
  // numbers, yes/no and option texts alike: read free-form, as the harness does
  answer: 'expression',
  family: 'gsm8k',
  framing: 'question',
  fewShot: ['cot', 'pal', 'tora'],
  default: true,
};
