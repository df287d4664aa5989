import type { PromptType } from './types.ts';

/**
 * Generation stops at any of these (math_eval.py): a few-shot completion that starts the next
 * demo is over, and a program block ends where the interpreter's output would begin.
 */
export const STOP_WORDS: Readonly<Record<PromptType, readonly string[]>> = Object.freeze({
  direct: Object.freeze(['</s>']),
  cot: Object.freeze(['</s>', '\n\nQuestion:', '\n\nProblem:']),
  pal: Object.freeze(['</s>', '\n\n---', '```output']),
  tora: Object.freeze(['</s>', '\n\n---', '```output']),
});

/** Generate → execute rounds per problem (math_eval.py `max_func_call`). */
export const MAX_FUNC_CALLS: Readonly<Record<PromptType, number>> = Object.freeze({
  direct: 4, // as math_eval.py: only cot and pal are single-round (a direct completion ending in ``` gets executed)
  cot: 1,
  pal: 1,
  tora: 4,
});
