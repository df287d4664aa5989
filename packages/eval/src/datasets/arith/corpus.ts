/**
 * Training documents made from arith problems, in the two forms the harness prompts with: a block
 * of chain-of-thought solutions laid out as few-shot demos are ("Question: …\nAnswer: …" joined by
 * blank lines, so a model trained on them has seen prompts shaped like the few-shot ones), and one
 * tool-integrated solution per document in the chat form tora prompts use.
 */
import { cotText, toraText, type ArithProblem } from './problem.ts';

export interface CorpusOptions {
  /** Problems per chain-of-thought document (default 3). */
  cotPerDoc?: number;
}

/** Every problem appears twice: once in a cot block, once as a tora document. */
export function arithDocuments(problems: readonly ArithProblem[], o: CorpusOptions = {}): string[] {
  const k = o.cotPerDoc ?? 3;
  const docs: string[] = [];
  for (let i = 0; i < problems.length; i += k) {
    const block = problems.slice(i, i + k);
    docs.push(block.map(cotText).join('\n\n\n'));
    for (const p of block) docs.push(toraText(p));
  }
  return docs;
}
