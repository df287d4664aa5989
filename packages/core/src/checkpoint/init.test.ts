import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expectedTensorShapes, makeConfig } from '../config/llama-config.ts';
import { readCheckpointTensors } from '../safetensors/sharded.ts';
import { readSafetensorsHeader } from '../safetensors/format.ts';
import { initCheckpoint, llama2TokenizerPath, readTokenizerIds } from './init.ts';
import { loadCheckpoint } from './load.ts';
import { normalQuantile } from './random-fill.ts';

let tmp: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'init-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

// a scaled-down Mistral: grouped-query attention, a window, the Llama-2 vocabulary size so the default tokenizer fits
const config = makeConfig({
  architectures: ['MistralForCausalLM'],
  model_type: 'mistral',
  vocab_size: 32000,
  hidden_size: 32,
  intermediate_size: 48,
  num_hidden_layers: 3,
  num_attention_heads: 4,
  num_key_value_heads: 2,
  sliding_window: 7,
  initializer_range: 0.02,
  torch_dtype: 'bfloat16',
});

/** Bitwise equality (toEqual walks a million-element array slowly). */
const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

const stats = (x: Float32Array) => {
  const mean = x.reduce((a, v) => a + v, 0) / x.length;
  return { mean, std: Math.sqrt(x.reduce((a, v) => a + (v - mean) ** 2, 0) / x.length) };
};

describe('initCheckpoint (streaming, no tfjs)', () => {
  it('writes 2 BF16 shards and an index that loadCheckpoint reads back with the expected shapes', async () => {
    const out = join(tmp, 'mistral-2');
    const progress: number[] = [];
    const res = await initCheckpoint({ config, out, seed: 3, shards: 2, tokenizerPath: llama2TokenizerPath(), onProgress: (d) => progress.push(d) });
    const shapes = expectedTensorShapes(config);
    const params = [...shapes.values()].reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
    expect(res).toMatchObject({ parameters: params, bytes: 2 * params, dtype: 'BF16' });
    expect(progress.at(-1)).toBe(res.bytes);
    expect(readdirSync(out).sort()).toEqual([
      'config.json',
      'model-00001-of-00002.safetensors',
      'model-00002-of-00002.safetensors',
      'model.safetensors.index.json',
      'tokenizer.json',
    ]);
    // nothing left beside it
    expect(readdirSync(tmp).filter((f) => f.startsWith('.'))).toEqual([]);

    const index = JSON.parse(readFileSync(join(out, 'model.safetensors.index.json'), 'utf8'));
    expect(index.metadata.total_size).toBe(res.bytes);
    expect(Object.keys(index.weight_map).sort()).toEqual([...shapes.keys()].sort());
    // whole tensors, in checkpoint order: the embedding in the first shard, the head in the last
    expect(index.weight_map['model.embed_tokens.weight']).toBe('model-00001-of-00002.safetensors');
    expect(index.weight_map['lm_head.weight']).toBe('model-00002-of-00002.safetensors');
    const sizes = ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'].map((f) => statSync(join(out, f)).size);
    expect(Math.max(...sizes) / Math.min(...sizes)).toBeLessThan(1.5);
    for (const f of ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors']) {
      const h = readSafetensorsHeader(join(out, f));
      expect(h.dataStart % 8).toBe(0);
      for (const name of h.tensors.keys()) expect(index.weight_map[name]).toBe(f);
    }

    const raw = readCheckpointTensors(out);
    for (const [name, shape] of shapes) {
      const t = raw.get(name)!;
      expect(t.dtype, name).toBe('BF16');
      expect(t.shape, name).toEqual(shape);
      if (name.endsWith('norm.weight'))
        expect(
          t.data.every((x) => x === 1),
          name,
        ).toBe(true);
    }
    const emb = stats(raw.get('model.embed_tokens.weight')!.data);
    expect(Math.abs(emb.mean)).toBeLessThan(1e-3);
    expect(emb.std).toBeGreaterThan(0.0195);
    expect(emb.std).toBeLessThan(0.0205);

    const cfg = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(cfg).toMatchObject({
      architectures: ['MistralForCausalLM'],
      model_type: 'mistral',
      sliding_window: 7,
      torch_dtype: 'bfloat16',
      bos_token_id: 1,
      eos_token_id: 2,
    });
    const loaded = await loadCheckpoint(out);
    try {
      expect(loaded.config).toEqual(config);
      expect(loaded.weightDtype).toBe('BF16');
      expect(loaded.tokenizerPath).toBe(join(out, 'tokenizer.json'));
      for (const [name, shape] of shapes) expect(loaded.model.weights.get(name)!.shape, name).toEqual(shape);
    } finally {
      loaded.model.dispose();
    }
  });

  it('is seeded: same seed same bytes (any shard count), another seed other values; F32 and F16 too', async () => {
    const a = await initCheckpoint({ config, out: join(tmp, 'seed-a'), seed: 5 });
    const b = await initCheckpoint({ config, out: join(tmp, 'seed-b'), seed: 5, shards: 3 });
    await initCheckpoint({ config, out: join(tmp, 'seed-c'), seed: 6 });
    expect(a.files).toContain('model.safetensors');
    expect(b.files.filter((f) => f.startsWith('model-'))).toHaveLength(3);
    const [ta, tb, tc] = ['seed-a', 'seed-b', 'seed-c'].map((d) => readCheckpointTensors(join(tmp, d)));
    for (const name of expectedTensorShapes(config).keys()) expect(same(tb!.get(name)!.data, ta!.get(name)!.data), name).toBe(true);
    expect(same(tc!.get('model.layers.1.mlp.up_proj.weight')!.data, ta!.get('model.layers.1.mlp.up_proj.weight')!.data)).toBe(false);
    // different tensors draw different values
    expect(same(ta!.get('model.layers.0.mlp.up_proj.weight')!.data, ta!.get('model.layers.1.mlp.up_proj.weight')!.data)).toBe(false);

    for (const dtype of ['F32', 'F16'] as const) {
      const out = join(tmp, `dtype-${dtype}`);
      await initCheckpoint({ config, out, seed: 1, dtype });
      const t = readCheckpointTensors(out);
      expect(t.get('lm_head.weight')!.dtype).toBe(dtype);
      const s = stats(t.get('lm_head.weight')!.data);
      expect(s.std, dtype).toBeGreaterThan(0.0195);
      expect(s.std, dtype).toBeLessThan(0.0205);
      expect(JSON.parse(readFileSync(join(out, 'config.json'), 'utf8')).torch_dtype).toBe(dtype === 'F32' ? 'float32' : 'float16');
      if (dtype === 'F32') expect(new Set(t.get('lm_head.weight')!.data).size).toBeGreaterThan(0.99 * 32000 * 32); // continuous, not 65536 levels
    }
  });

  it('replaces an existing checkpoint whole and refuses a tokenizer larger than the vocabulary before writing', async () => {
    const out = join(tmp, 'replace');
    await initCheckpoint({ config, out, seed: 1, shards: 2 });
    await initCheckpoint({ config, out, seed: 1 });
    expect(readdirSync(out).sort()).toEqual(['config.json', 'model.safetensors']);
    const small = makeConfig({ vocab_size: 100, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2 });
    await expect(initCheckpoint({ config: small, out: join(tmp, 'too-small'), seed: 0, tokenizerPath: llama2TokenizerPath() })).rejects.toThrow(
      /tokenizer uses 32000 ids/,
    );
    expect(readdirSync(tmp).some((f) => f.includes('too-small'))).toBe(false);
  });
});

describe('random values', () => {
  it('normalQuantile inverts the normal CDF', () => {
    expect(normalQuantile(0.5)).toBeCloseTo(0, 12);
    expect(normalQuantile(0.975)).toBeCloseTo(1.959964, 5);
    expect(normalQuantile(0.001)).toBeCloseTo(-3.090232, 5);
    expect(normalQuantile(1 - 1e-6)).toBeCloseTo(4.753424, 4);
  });

  it('the default tokenizer is the Llama-2 one: 32000 ids, <s> 1, </s> 2', () => {
    expect(readTokenizerIds(llama2TokenizerPath())).toMatchObject({ size: 32000, bosId: 1, eosId: 2 });
  });
});
