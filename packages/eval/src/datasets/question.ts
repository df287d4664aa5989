import { pyStrip } from '../normalize/python.ts';
import type { DatasetSpec, RawRecord } from './types.ts';

/**
 * Whether an answer reads as yes/no or true/false once normalised. The harness decides this on
 * its fully normalised ground truth; for the answers these benchmarks hold, what matters of that
 * normalisation is surrounding space, trailing dots, `\text{}` wrappers and dollar signs.
 */
function answerWord(raw: string): string {
  let s = pyStrip(raw).replace(/\n/g, '').replace(/\.+$/, '');
  s = s.replace(/\\text\{(.*?)\}/g, '$1').replace(/\$/g, '');
  return pyStrip(s).toLowerCase();
}

/** The question as parser.py `parse_question` builds it, yes/no and true/false hints included. */
export function buildQuestion(spec: DatasetSpec, record: RawRecord): string {
  let q = spec.question(record);
  const word = answerWord(spec.rawAnswer(record));
  if (word === 'true' || word === 'false') q += ' (True or False)';
  if (word === 'yes' || word === 'no') q += ' (Yes or No)';
  return pyStrip(q);
}
