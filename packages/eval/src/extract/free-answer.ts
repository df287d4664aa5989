/**
 * The harness's `extract_answer` for free-form answers (numbers, expressions). Order matters and
 * is the harness's: minerva's "final answer is $...$. I hope", then the last \boxed, then
 * "The answer is", then "final answer is", then the last number in the text. Text inside
 * "```output" blocks is not treated specially (a tora completion without \boxed falls through
 * to the last number, which may be the program's printed output).
 *
 * Kept apart from answer.ts (which looks benchmarks up in the registry) because the MATH ground
 * truth is read with it, and the dataset files must not import the registry back.
 */
import { stripString } from '../normalize/strip-string.ts';
import { pyStrip } from '../normalize/python.ts';
import { lastBoxedContent } from './boxed.ts';

const LAST_NUMBER = /-?\p{Nd}*\.?\p{Nd}+/gu;

/** The raw answer span, before the clean-up and strip_string the harness applies after it. */
export function findAnswerSpan(text: string): string {
  const minerva = text.indexOf('final answer is $');
  if (minerva >= 0 && text.includes('$. I hope')) {
    const tail = text.slice(minerva + 'final answer is $'.length);
    const end = tail.indexOf('$. I hope');
    return pyStrip(end >= 0 ? tail.slice(0, end) : tail);
  }
  if (text.includes('boxed')) return lastBoxedContent(text) ?? '';
  if (text.includes('he answer is')) return pyStrip(text.slice(text.lastIndexOf('he answer is') + 'he answer is'.length));
  if (text.includes('final answer is')) return pyStrip(text.slice(text.lastIndexOf('final answer is') + 'final answer is'.length));
  const nums = text.split(',').join('').match(LAST_NUMBER);
  return nums && nums.length > 0 ? nums[nums.length - 1]! : '';
}

/** The free-form answer of a completion, cleaned up and through strip_string. */
export function extractFreeAnswer(text: string): string {
  // An empty \boxed{} tail returns before clean-up in the harness.
  if (!text.includes('final answer is $') || !text.includes('$. I hope')) {
    if (text.includes('boxed') && text.endsWith('boxed')) return '';
  }
  let pred = findAnswerSpan(text);
  pred = pred.replace(/\n\s*/gu, '');
  if (pred !== '' && pred[0] === ':') pred = pred.slice(1);
  if (pred !== '' && pred.endsWith('.')) pred = pred.slice(0, -1);
  if (pred !== '' && pred.endsWith('/')) pred = pred.slice(0, -1);
  return stripString(pred);
}
