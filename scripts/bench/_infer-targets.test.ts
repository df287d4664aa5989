import { describe, expect, it } from 'vitest';
import { sideBySideRatios } from './_infer-targets.ts';

const run = (engine: string, prompt: number, b1: number, b16: number, gguf_type: string | null = null) => ({
  engine,
  gguf_type,
  weight_dtype: 'BF16',
  prompt_tokens_per_s: prompt,
  decode_b1_tokens_per_s: b1,
  decode_b16_tokens_per_s: b16,
});

describe('sideBySideRatios', () => {
  it('divides the native figures by each llama.cpp run of the same invocation', () => {
    const r = sideBySideRatios([run('llama.cpp', 60, 15, 40, 'f16'), run('native', 180, 21, 110), run('llama.cpp', 90, 20, 55, 'bf16')]);
    expect(r.map((x) => x.label)).toEqual(['native ÷ llama.cpp f16 (BF16)', 'native ÷ llama.cpp bf16 (BF16)']);
    expect(r[0]).toMatchObject({ prompt: 3, decodeB1: 1.4, decodeB16: 2.75 });
    expect(r[1]!.prompt).toBe(2);
  });

  it('has nothing to say without both engines', () => {
    expect(sideBySideRatios([run('llama.cpp', 60, 15, 40)])).toEqual([]);
    expect(sideBySideRatios([run('native', 60, 15, 40), run('tfjs', 1, 1, 1)])).toEqual([]);
  });
});
