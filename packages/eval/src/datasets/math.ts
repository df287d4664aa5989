import { z } from 'zod';
import type { DatasetSpec, RawRecord } from './types.ts';

/** The content of the last `\boxed{...}` (braces balanced), or '' when there is none. */
export function lastBoxed(text: string): string {
  const at = text.lastIndexOf('boxed');
  if (at < 0) return '';
  const rest = text.slice(at + 'boxed'.length);
  if (!rest.startsWith('{')) return rest.split('$')[0]!.trim();
  let depth = 1;
  let out = '';
  for (const c of rest.slice(1)) {
    if (c === '{') depth++;
    else if (c === '}' && --depth === 0) break;
    out += c;
  }
  return out;
}

const schema = z.looseObject({ problem: z.string(), solution: z.string() });
// The harness takes MATH's answer from the solution's last \boxed{}, also for MATH-500 whose
// records carry an `answer` field.
const rawAnswer = (r: RawRecord) => lastBoxed(r.solution as string);

/** MATH's two test files share everything but their name and folder. */
const mathSpec = (name: string, dir: string): DatasetSpec => ({ name, dir, schema, question: (r) => r.problem as string, rawAnswer });

/** MATH, all 5000 test problems. */
export const math: DatasetSpec = mathSpec('math', 'math');

/** MATH-500 (the OpenAI "Let's verify step by step" subset), which the harness calls minerva_math. */
export const minervaMath: DatasetSpec = mathSpec('minerva_math', 'math_oai');
