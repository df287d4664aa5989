import { z } from 'zod';
import { pyStrip } from './pytext.ts';
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
};
