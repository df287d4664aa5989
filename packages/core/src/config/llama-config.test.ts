import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { REPO_ROOT } from '../datadir.ts';
import { configFromHf, configToHf, expectedTensorShapes } from './llama-config.ts';
import { presetConfig, presetTraining, swigluWidth } from './presets.ts';

const fixtureConfig = resolve(process.env.RHO_FIXTURES_DIR ?? resolve(REPO_ROOT, '../shared/fixtures'), 'tiny-llama/config.json');

describe('LlamaConfig', () => {
  it('reads the fixture config.json and writes back what it read', () => {
    const json = JSON.parse(readFileSync(fixtureConfig, 'utf8'));
    const c = configFromHf(json);
    expect(c).toMatchObject({ vocabSize: 256, hiddenSize: 64, numAttentionHeads: 4, numKeyValueHeads: 2, headDim: 16, tieWordEmbeddings: false });
    const back = configToHf(c);
    for (const k of Object.keys(json)) expect(back[k]).toEqual(json[k]);
    expect(configFromHf(back)).toEqual(c);
  });

  it('reads a TinyLlama-style config with metadata keys', () => {
    const c = configFromHf({ architectures: ['LlamaForCausalLM'], bos_token_id: 1, eos_token_id: 2, hidden_act: 'silu', hidden_size: 2048, initializer_range: 0.02, intermediate_size: 5632, max_position_embeddings: 2048, model_type: 'llama', num_attention_heads: 32, num_hidden_layers: 22, num_key_value_heads: 4, pretraining_tp: 1, rms_norm_eps: 1e-5, rope_scaling: null, tie_word_embeddings: false, torch_dtype: 'bfloat16', transformers_version: '4.35.0', use_cache: true, vocab_size: 32000 });
    expect(c.headDim).toBe(64);
    expect(c.torchDtype).toBe('bfloat16');
  });

  it('rejects unknown keys, unsupported features and inconsistent heads, naming the field', () => {
    const base = { vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2 };
    expect(() => configFromHf({ ...base, hiden_size: 3 })).toThrow(/hiden_size/);
    expect(() => configFromHf({ ...base, rope_scaling: { type: 'linear', factor: 2 } })).toThrow(/invalid Llama config/);
    expect(() => configFromHf({ ...base, hidden_act: 'gelu' })).toThrow(/invalid Llama config/);
    expect(() => configFromHf({ ...base, num_attention_heads: 4, num_key_value_heads: 3, hidden_size: 16 })).toThrow(/multiple of num_key_value_heads/);
    try {
      configFromHf({ ...base, vocab_size: -1 }, 'x/config.json');
    } catch (e) {
      expect((e as { context: { field: string; file: string } }).context).toMatchObject({ field: 'vocab_size', file: 'x/config.json' });
    }
  });

  it('lists HF tensor names and shapes; tied configs have no lm_head', () => {
    const c = configFromHf({ vocab_size: 10, hidden_size: 12, intermediate_size: 20, num_hidden_layers: 2, num_attention_heads: 6, num_key_value_heads: 2, tie_word_embeddings: true });
    const m = expectedTensorShapes(c);
    expect(m.get('model.layers.1.self_attn.k_proj.weight')).toEqual([4, 12]);
    expect(m.get('model.layers.0.mlp.down_proj.weight')).toEqual([12, 20]);
    expect(m.has('lm_head.weight')).toBe(false);
    expect(m.size).toBe(1 + 2 * 9 + 1);
  });
});

describe('presets', () => {
  it('match issue 4: SwiGLU widths 384/1024/1408, untied fp32', () => {
    expect([swigluWidth(128), swigluWidth(384), swigluWidth(512)]).toEqual([384, 1024, 1408]);
    const s = presetConfig('small');
    expect(s).toMatchObject({ vocabSize: 8192, hiddenSize: 384, numHiddenLayers: 6, numAttentionHeads: 6, intermediateSize: 1024, tieWordEmbeddings: false, torchDtype: 'float32' });
    expect(presetConfig('base').vocabSize).toBe(32000);
    expect(presetTraining('tiny')).toMatchObject({ seqLen: 128, batchSize: 16, lr: 3e-4, weightDecay: 0.1 });
    expect(() => presetConfig('huge')).toThrow(/unknown preset/);
  });
});
