import { describe, expect, it } from 'vitest';
import { makeConfig } from '../config/llama-config.ts';
import { presetConfig } from '../config/presets.ts';
import { matmulParamCount, mfu, trainFlopsPerToken } from './flops.ts';

describe('FLOPs accounting', () => {
  it('counts the tiny preset by hand', () => {
    // per layer: q,k,v,o 4·128² + gate,up,down 3·128·384; head 4096·128
    const n = 4 * (4 * 128 * 128 + 3 * 128 * 384) + 4096 * 128;
    expect(matmulParamCount(presetConfig('tiny'))).toBe(n);
    expect(trainFlopsPerToken(presetConfig('tiny'), 128)).toBe(6 * n + 12 * 4 * 128 * 128);
  });

  it('shrinks k/v projections with grouped-query heads', () => {
    const full = makeConfig({ vocab_size: 10, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, num_attention_heads: 8, num_key_value_heads: 8 });
    const gqa = makeConfig({ vocab_size: 10, hidden_size: 64, intermediate_size: 128, num_hidden_layers: 1, num_attention_heads: 8, num_key_value_heads: 2 });
    expect(matmulParamCount(full) - matmulParamCount(gqa)).toBe(2 * 64 * (64 - 16));
  });

  it('reproduces the PyTorch reference MFU for tiny (8656 tok/s at 195 GFLOPS ≈ 39-40%)', () => {
    expect(mfu(8656, presetConfig('tiny'), 128, 195)).toBeGreaterThan(0.38);
    expect(mfu(8656, presetConfig('tiny'), 128, 195)).toBeLessThan(0.41);
  });
});
