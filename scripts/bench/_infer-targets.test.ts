import { describe, expect, it } from 'vitest';
import { sideBySideRatios, sideBySideTargets } from './_infer-targets.ts';

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

describe('sideBySideTargets', () => {
  it("judges issue 18's targets against the F16 run of the same invocation", () => {
    const t = sideBySideTargets([run('native', 180, 21, 110), run('llama.cpp', 90, 20, 55, 'bf16'), run('llama.cpp', 30, 21, 40, 'f16')]);
    expect(t.map((x) => [x.rule, +x.got.toFixed(3), x.ok])).toEqual([
      ['>= 6x llama.cpp f16', 6, true],
      ['>= 1x llama.cpp f16', 1, true],
      ['>= 8x our b1', 5.238, false],
    ]);
  });

  it('has no verdict without an F16 llama.cpp run', () => {
    expect(sideBySideTargets([run('native', 180, 21, 110), run('llama.cpp', 90, 20, 55, 'bf16')])).toEqual([]);
  });
});
