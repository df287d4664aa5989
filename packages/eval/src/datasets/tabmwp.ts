import { z } from 'zod';
import { pyRepr } from './pytext.ts';
import type { DatasetSpec } from './types.ts';

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
};
