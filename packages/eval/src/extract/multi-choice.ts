/** Multiple-choice letters (mmlu_stem, sat_math, mathqa): "answer is (C)" or "choice is c". */
export const NO_CHOICE = 'placeholder';

export function extractMultiChoice(text: string): string {
  // Base models run on past their answer into the next few-shot problem.
  let s = text;
  const cut = s.indexOf('Problem:');
  if (cut >= 0) s = s.slice(0, cut);
  s = s.split('choice is').join('answer is');
  const m = /answer is \(?([abcde])\)?/.exec(s.toLowerCase());
  return m ? m[1]!.toUpperCase() : NO_CHOICE;
}
