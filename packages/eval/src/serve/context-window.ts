import { badRequest } from './api-error.ts';

export interface TokenBudgetRequest {
  /** Positions the model attends over. */
  context: number;
  promptTokens: number;
  /** What the client asked for; null when it did not say. */
  maxTokens: number | null;
  /** New tokens when the client did not say, cut to what the context has left. */
  defaultTokens: number;
  /** Where the prompt came from, for the error: `prompt` or `messages`. */
  param: string;
}

/**
 * The new tokens a request may decode, refused as vLLM's server refuses it: a prompt the context
 * cannot hold, or an explicit `max_tokens` that would take the sequence past the context, is a 400
 * naming the context and the tokens asked for. Only an unset `max_tokens` is cut to fit, since the
 * client set no number that could be wrong.
 */
export function newTokenBudget(r: TokenBudgetRequest): number {
  const { context, promptTokens: p, maxTokens, param } = r;
  const head = `This model's maximum context length is ${context} tokens. However, `;
  const refuse = (what: string) => badRequest(`${head}${what} Please reduce the length of the ${param} or completion.`, param, 'context_length_exceeded');
  if (maxTokens !== null) {
    if (p + maxTokens > context) throw refuse(`you requested ${p + maxTokens} tokens (${p} in the ${param}, ${maxTokens} in the completion).`);
    return maxTokens;
  }
  if (p > context) throw refuse(`your ${param} has ${p} tokens.`);
  if (r.defaultTokens > 0 && p >= context) throw refuse(`your ${param} has ${p} tokens, which leaves no room for a completion.`);
  return Math.min(r.defaultTokens, context - p);
}
