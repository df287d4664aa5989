import { describe, expect, it } from 'vitest';
import { makeConfig } from '../../config/llama-config.ts';
import { checkWithinWindow, lastPositionWithinWindow } from './window.ts';

describe('the sliding-window guard of the llama.cpp engine', () => {
  const base = { vocab_size: 64, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 1, num_attention_heads: 4 };
  const mistral = makeConfig({ ...base, model_type: 'mistral', sliding_window: 5 });
  it('lets a sequence through while every position sees all earlier ones (window + 1 tokens)', () => {
    expect(lastPositionWithinWindow(mistral)).toBe(5);
    expect(() => checkWithinWindow(mistral, 6, 'row 0')).not.toThrow();
  });
  it('refuses one token more, naming the position and the window', () => {
    expect(() => checkWithinWindow(mistral, 7, 'row 0 (7 tokens)')).toThrow(/row 0 \(7 tokens\) reaches position 6, past the sliding window of 5 tokens/);
  });
  it('has nothing to refuse for a model without a window', () => {
    expect(() => checkWithinWindow(makeConfig(base), 1e6, 'row')).not.toThrow();
  });
});
