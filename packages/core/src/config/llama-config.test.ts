import { describe, expect, it } from 'vitest';
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../datadir.ts';
import { RhoError } from '../errors.ts';
import { configFromHf, configToHf, expectedTensorShapes, formatHfConfig, pythonFloat } from './llama-config.ts';
import { HUB_PRESET_NAMES, presetConfig, presetHfConfig, presetTraining, swigluWidth } from './presets.ts';

const FIXTURES = resolve(process.env.RHO_FIXTURES_DIR ?? resolve(REPO_ROOT, '../shared/fixtures'));
const fixtureConfig = join(FIXTURES, 'tiny-llama/config.json');
const readJson = (path: string) => JSON.parse(readFileSync(path, 'utf8')) as Record<string, unknown>;

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
    const c = configFromHf({
      architectures: ['LlamaForCausalLM'],
      bos_token_id: 1,
      eos_token_id: 2,
      hidden_act: 'silu',
      hidden_size: 2048,
      initializer_range: 0.02,
      intermediate_size: 5632,
      max_position_embeddings: 2048,
      model_type: 'llama',
      num_attention_heads: 32,
      num_hidden_layers: 22,
      num_key_value_heads: 4,
      pretraining_tp: 1,
      rms_norm_eps: 1e-5,
      rope_scaling: null,
      tie_word_embeddings: false,
      torch_dtype: 'bfloat16',
      transformers_version: '4.35.0',
      use_cache: true,
      vocab_size: 32000,
    });
    expect(c.headDim).toBe(64);
    expect(c.torchDtype).toBe('bfloat16');
  });

  it('rejects unknown keys, unsupported features and inconsistent heads, naming the field', () => {
    const base = { vocab_size: 10, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2 };
    expect(() => configFromHf({ ...base, hiden_size: 3 })).toThrow(/hiden_size/);
    expect(() => configFromHf({ ...base, rope_scaling: { type: 'linear', factor: 2 } })).toThrow(/invalid Llama config: rope_scaling/);
    expect(() => configFromHf({ ...base, hidden_act: 'gelu' })).toThrow(/invalid Llama config: hidden_act/);
    expect(() => configFromHf({ ...base, num_attention_heads: 4, num_key_value_heads: 3, hidden_size: 16 })).toThrow(/multiple of num_key_value_heads/);
    try {
      configFromHf({ ...base, vocab_size: -1 }, 'x/config.json');
    } catch (e) {
      expect((e as { context: { field: string; file: string } }).context).toMatchObject({ field: 'vocab_size', file: 'x/config.json' });
    }
  });

  it('lists HF tensor names and shapes; tied configs have no lm_head', () => {
    const c = configFromHf({
      vocab_size: 10,
      hidden_size: 12,
      intermediate_size: 20,
      num_hidden_layers: 2,
      num_attention_heads: 6,
      num_key_value_heads: 2,
      tie_word_embeddings: true,
    });
    const m = expectedTensorShapes(c);
    expect(m.get('model.layers.1.self_attn.k_proj.weight')).toEqual([4, 12]);
    expect(m.get('model.layers.0.mlp.down_proj.weight')).toEqual([12, 20]);
    expect(m.has('lm_head.weight')).toBe(false);
    expect(m.size).toBe(1 + 2 * 9 + 1);
  });
});

describe('configs as the Hub writes them', () => {
  const files = [
    ...readdirSync(join(FIXTURES, 'configs'))
      .filter((f) => f.endsWith('.json'))
      .map((f) => join(FIXTURES, 'configs', f)),
    join(FIXTURES, 'tiny-mistral/config.json'),
    join(FIXTURES, 'tiny-mistral/bf16/config.json'),
  ];

  it('loads every fixture config.json as it is, and writes back an equivalent config', () => {
    expect(files.length).toBeGreaterThanOrEqual(6);
    for (const file of files) {
      const json = readJson(file);
      const c = configFromHf(json, file);
      expect(c.modelType, file).toBe(json.model_type);
      expect(c.slidingWindow, file).toBe(json.sliding_window ?? null);
      expect(c.numKeyValueHeads, file).toBe(json.num_key_value_heads);
      expect(c.torchDtype, file).toBe(json.torch_dtype);
      const back = configToHf(c);
      expect(back.architectures, file).toEqual(json.architectures);
      expect(configFromHf(back), file).toEqual(c);
    }
  });

  it('reads Mistral-7B-v0.1 with its 4096 window and a Mistral without one', () => {
    const m = configFromHf(readJson(join(FIXTURES, 'configs/mistral-7b-v0.1.json')));
    expect(m).toMatchObject({ modelType: 'mistral', slidingWindow: 4096, headDim: 128, numKeyValueHeads: 8, intermediateSize: 14336 });
    const none = configFromHf(readJson(join(FIXTURES, 'configs/mistral-7b-v0.2-no-window.json')));
    expect(none.slidingWindow).toBeNull();
    // MistralConfig reads an absent window as 4096, so none must be written as an explicit null
    expect(configToHf(none)).toHaveProperty('sliding_window', null);
    expect(configFromHf({ ...readJson(join(FIXTURES, 'configs/mistral-7b-v0.2-no-window.json')), sliding_window: undefined }).slidingWindow).toBe(4096);
    const llama = configToHf(configFromHf(readJson(join(FIXTURES, 'configs/tinyllama-1.1b.json'))));
    expect(llama).not.toHaveProperty('sliding_window');
    expect(llama.architectures).toEqual(['LlamaForCausalLM']);
  });

  it('accepts metadata and "off" values of features: attention_dropout 0.0, pretraining_tp 1, rope_scaling null, dtype', () => {
    const tl = readJson(join(FIXTURES, 'configs/tinyllama-1.1b.json'));
    const c = configFromHf({
      ...tl,
      pad_token_id: null,
      output_attentions: false,
      tokenizer_class: 'LlamaTokenizer',
      torch_dtype: undefined,
      dtype: 'float16',
    });
    expect(c.torchDtype).toBe('float16');
    expect(c).toEqual({ ...configFromHf(tl), torchDtype: 'float16' });
  });

  it('refuses, naming the key and the reason, configs whose computation is not implemented', () => {
    const tl = readJson(join(FIXTURES, 'configs/tinyllama-1.1b.json'));
    const cases: [Record<string, unknown>, string, RegExp][] = [
      [{ rope_scaling: { type: 'linear', factor: 2 } }, 'rope_scaling', /rope scaling .* not implemented/],
      [{ rope_scaling: { rope_type: 'llama3', factor: 8 } }, 'rope_scaling', /rotary/],
      [{ attention_bias: true }, 'attention_bias', /biases on the q\/k\/v\/o projections/],
      [{ mlp_bias: true }, 'mlp_bias', /biases/],
      [{ hidden_act: 'gelu' }, 'hidden_act', /silu/],
      [{ pretraining_tp: 2 }, 'pretraining_tp', /slices/],
      [{ attention_dropout: 0.1 }, 'attention_dropout', /dropout/],
      [{ quantization_config: { quant_method: 'gptq' } }, 'quantization_config', /quantized/],
      [{ sliding_window: 4096 }, 'sliding_window', /model_type llama/],
      [{ architectures: ['Qwen2ForCausalLM'] }, 'architectures', /Qwen2ForCausalLM/],
      [{ architectures: ['MistralForCausalLM'] }, 'architectures', /contradicts model_type llama/],
      [{ rope_type: 'default' }, 'rope_type', /Unrecognized key.*rope_type/],
    ];
    for (const [patch, key, reason] of cases) {
      let err: RhoError | undefined;
      try {
        configFromHf({ ...tl, ...patch }, 'x/config.json');
      } catch (e) {
        err = e as RhoError;
      }
      expect(err, key).toBeInstanceOf(RhoError);
      expect(err!.message, key).toContain(key);
      expect(err!.message, key).toMatch(reason);
      expect(err!.context, key).toMatchObject({ file: 'x/config.json', field: key });
    }
  });
});

describe('presets', () => {
  it('have SwiGLU widths 384/1024/1408, untied fp32', () => {
    expect([swigluWidth(128), swigluWidth(384), swigluWidth(512)]).toEqual([384, 1024, 1408]);
    const s = presetConfig('small');
    expect(s).toMatchObject({
      vocabSize: 8192,
      hiddenSize: 384,
      numHiddenLayers: 6,
      numAttentionHeads: 6,
      intermediateSize: 1024,
      tieWordEmbeddings: false,
      torchDtype: 'float32',
    });
    expect(presetConfig('base').vocabSize).toBe(32000);
    expect(presetTraining('tiny')).toMatchObject({ seqLen: 128, batchSize: 16, lr: 3e-4, weightDecay: 0.1 });
    expect(() => presetConfig('huge')).toThrow(/unknown preset/);
  });
});

describe('Hub presets', () => {
  const fixtureOf = { 'tinyllama-1.1b': 'configs/tinyllama-1.1b.json', 'mistral-7b': 'configs/mistral-7b-v0.1.json' } as const;

  it('have the architecture of the fixture config files, and write them byte for byte', () => {
    expect([...HUB_PRESET_NAMES].sort()).toEqual(Object.keys(fixtureOf).sort());
    for (const name of HUB_PRESET_NAMES) {
      const file = join(FIXTURES, fixtureOf[name]);
      expect(presetConfig(name), name).toEqual(configFromHf(readJson(file)));
      expect(presetHfConfig(name), name).toEqual(readJson(file));
      expect(formatHfConfig(presetHfConfig(name)), name).toBe(readFileSync(file, 'utf8'));
      expect(presetHfConfig(name, 'float16').torch_dtype).toBe('float16');
    }
    expect(presetConfig('tinyllama-1.1b')).toMatchObject({
      hiddenSize: 2048,
      numHiddenLayers: 22,
      numKeyValueHeads: 4,
      intermediateSize: 5632,
      vocabSize: 32000,
      slidingWindow: null,
      torchDtype: 'bfloat16',
    });
    expect(presetConfig('mistral-7b')).toMatchObject({ modelType: 'mistral', slidingWindow: 4096, numHiddenLayers: 32, numKeyValueHeads: 8 });
    expect(() => presetTraining('mistral-7b')).toThrow(/no training shape/);
  });

  it('pythonFloat writes floats as Python does', () => {
    expect([1e-5, 1e-6, 10000, 0, 0.02, 1000000, 1.5e-7, 1e16, 0.1].map(pythonFloat)).toEqual([
      '1e-05',
      '1e-06',
      '10000.0',
      '0.0',
      '0.02',
      '1000000.0',
      '1.5e-07',
      '1e+16',
      '0.1',
    ]);
  });
});
