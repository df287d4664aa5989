import { describe, expect, it } from 'vitest';
import { ApiError } from './api-error.ts';
import { newTokenBudget } from './context-window.ts';
import { thrown } from '../testing/thrown.ts';

const budget = (promptTokens: number, maxTokens: number | null, defaultTokens = 16) =>
  newTokenBudget({ context: 256, promptTokens, maxTokens, defaultTokens, param: 'prompt' });
const refusal = (f: () => unknown): ApiError => thrown(f, ApiError);

describe('newTokenBudget', () => {
  it('gives what was asked when prompt and completion fit the context, to the last position', () => {
    expect(budget(200, 56)).toBe(56);
    expect(budget(256, 0)).toBe(0);
  });

  it('refuses a max_tokens past the context, naming the context and both parts of the request', () => {
    const e = refusal(() => budget(200, 57));
    expect(e.status).toBe(400);
    expect(e.code).toBe('context_length_exceeded');
    expect(e.param).toBe('prompt');
    expect(e.message).toBe(
      "This model's maximum context length is 256 tokens. However, you requested 257 tokens (200 in the prompt, 57 in the completion). Please reduce the length of the prompt or completion.",
    );
    expect(refusal(() => budget(10, 1e12)).message).toContain('you requested 1000000000010 tokens (10 in the prompt, 1000000000000 in the completion)');
  });

  it('cuts only an unset max_tokens to what the context has left', () => {
    expect(budget(10, null)).toBe(16);
    expect(budget(250, null)).toBe(6);
    expect(budget(100, null, Infinity)).toBe(156);
  });

  it('refuses a prompt the context cannot hold, or that leaves no room for a new token', () => {
    expect(refusal(() => budget(400_001, null)).message).toContain('However, your prompt has 400001 tokens.');
    expect(refusal(() => budget(256, null)).message).toContain('your prompt has 256 tokens, which leaves no room for a completion');
    expect(budget(256, null, 0)).toBe(0);
  });
});
