import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as tf from '@tensorflow/tfjs-core';
import '@tensorflow/tfjs-backend-cpu';
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createHash } from 'node:crypto';
import { REPO_ROOT } from '../datadir.ts';
import { makeConfig } from '../config/llama-config.ts';
import { LlamaModel } from '../model/llama.ts';
import { readSafetensors, writeSafetensors } from '../safetensors/format.ts';
import { loadCheckpoint } from './load.ts';
import { saveCheckpoint } from './save.ts';

const fixture = resolve(process.env.RHO_FIXTURES_DIR ?? resolve(REPO_ROOT, '../shared/fixtures'), 'tiny-llama');
let tmp: string;

beforeAll(async () => {
  await tf.setBackend('cpu');
  tmp = mkdtempSync(join(tmpdir(), 'ckpt-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** name → hex digest of the float32 bytes: cheap to compare, and any changed bit shows. */
const bytesOf = async (m: LlamaModel) =>
  Object.fromEntries(
    await Promise.all(
      [...m.weights].map(
        async ([k, v]) =>
          [
            k,
            createHash('sha256')
              .update((await v.data()) as Float32Array)
              .digest('hex'),
          ] as const,
      ),
    ),
  );

describe('checkpoint save/load', () => {
  it('round-trips weights bit-exactly (F32, untied and tied, single file and sharded) with extra files', async () => {
    for (const [i, tied, shard] of [
      [0, false, undefined],
      [1, true, 20_000],
    ] as const) {
      const config = makeConfig({
        vocab_size: 40,
        hidden_size: 16,
        intermediate_size: 32,
        num_hidden_layers: 2,
        num_attention_heads: 4,
        num_key_value_heads: 1,
        tie_word_embeddings: tied,
        rope_theta: 500000,
      });
      const model = LlamaModel.init(config, 9 + i);
      const dir = join(tmp, `rt${i}`);
      await saveCheckpoint(dir, model, { extraFiles: { 'trainer_state.json': '{"step":3}' }, maxShardBytes: shard });
      expect(readFileSync(join(dir, 'trainer_state.json'), 'utf8')).toBe('{"step":3}');
      expect(existsSync(join(dir, 'model.safetensors.index.json'))).toBe(shard !== undefined);
      const { model: back, config: c2 } = await loadCheckpoint(dir);
      expect(c2).toEqual(config);
      expect(await bytesOf(back)).toEqual(await bytesOf(model));
      if (tied) expect(back.weights.has('lm_head.weight')).toBe(false);
      // saving what was loaded writes the same weight file again
      const dir2 = join(tmp, `rt${i}b`);
      await saveCheckpoint(dir2, back);
      if (!shard) expect(readFileSync(join(dir2, 'model.safetensors')).equals(readFileSync(join(dir, 'model.safetensors')))).toBe(true);
      model.dispose();
      back.dispose();
    }
  });

  it('re-saves the BF16 fixture as BF16 byte for byte in its tensors', async () => {
    const { model, weightDtype } = await loadCheckpoint(join(fixture, 'bf16'));
    expect(weightDtype).toBe('BF16');
    const dir = join(tmp, 'bf16');
    await saveCheckpoint(dir, model);
    const a = readSafetensors(join(fixture, 'bf16/model.safetensors'));
    const b = readSafetensors(join(dir, 'model.safetensors'));
    for (const [k, t] of a) {
      expect(b.get(k)!.dtype).toBe('BF16');
      expect(Buffer.from(b.get(k)!.data.buffer).equals(Buffer.from(t.data.buffer))).toBe(true);
    }
    expect(JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')).torch_dtype).toBe('bfloat16');
    model.dispose();
  });

  it('replaces an existing checkpoint whole and leaves no temporary directories', async () => {
    const config = makeConfig({ vocab_size: 20, hidden_size: 8, intermediate_size: 16, num_hidden_layers: 1, num_attention_heads: 2 });
    const model = LlamaModel.init(config, 1);
    const dir = join(tmp, 'replace');
    await saveCheckpoint(dir, model, { extraFiles: { 'old.txt': 'x' } });
    await saveCheckpoint(dir, model);
    expect(existsSync(join(dir, 'old.txt'))).toBe(false);
    expect(readdirSync(tmp).filter((f) => f.startsWith('.'))).toEqual([]);
    model.dispose();
  });
});

describe('bad checkpoints', () => {
  /** A copy of the fixture with its tensors or config edited. */
  function variant(name: string, edit: (t: ReturnType<typeof readSafetensors>, cfg: Record<string, unknown>) => void): string {
    const dir = join(tmp, name);
    cpSync(fixture, dir, { recursive: true });
    rmSync(join(dir, 'bf16'), { recursive: true });
    const tensors = readSafetensors(join(dir, 'model.safetensors'));
    const cfg = JSON.parse(readFileSync(join(dir, 'config.json'), 'utf8')) as Record<string, unknown>;
    edit(tensors, cfg);
    writeSafetensors(join(dir, 'model.safetensors'), tensors);
    writeFileSync(join(dir, 'config.json'), JSON.stringify(cfg));
    return dir;
  }

  it('a missing tensor is named with its expected shape', async () => {
    const dir = variant('missing', (t) => t.delete('model.layers.1.self_attn.v_proj.weight'));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/lacks tensor model\.layers\.1\.self_attn\.v_proj\.weight \(expected shape \[32,64\]\)/);
  });

  it('a wrong shape is named with the expected shape', async () => {
    const dir = variant('shape', (t) => {
      const w = t.get('model.layers.0.mlp.gate_proj.weight')!;
      t.set('model.layers.0.mlp.gate_proj.weight', { ...w, shape: [64, 176] });
    });
    await expect(loadCheckpoint(dir)).rejects.toThrow(/gate_proj\.weight has shape \[64,176\], the config needs \[176,64\]/);
  });

  it('a config that does not match the weights is an error naming a tensor', async () => {
    const heads = variant('heads', (_t, cfg) => (cfg.num_key_value_heads = 4));
    await expect(loadCheckpoint(heads)).rejects.toThrow(/k_proj\.weight has shape \[32,64\], the config needs \[64,64\]/);
    const layers = variant('layers', (_t, cfg) => (cfg.num_hidden_layers = 1));
    await expect(loadCheckpoint(layers)).rejects.toThrow(/tensor model\.layers\.1\.\S+ that the config does not expect/);
  });

  it('an unsupported dtype is an error naming the tensor', async () => {
    const dir = join(tmp, 'dtype');
    cpSync(fixture, dir, { recursive: true });
    // rewrite one header entry as F64 with a matching byte count: valid safetensors, dtype we do not read
    const bytes = readFileSync(join(dir, 'model.safetensors'));
    const n = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8'));
    header['model.norm.weight'] = { ...header['model.norm.weight'], dtype: 'F64', shape: [32] };
    let json = JSON.stringify(header);
    json += ' '.repeat(Math.max(0, n - json.length));
    expect(json.length).toBe(n);
    bytes.write(json, 8, 'utf8');
    writeFileSync(join(dir, 'model.safetensors'), bytes);
    await expect(loadCheckpoint(dir)).rejects.toThrow(/tensor model\.norm\.weight has dtype F64/);
  });

  it('a missing directory or config.json is NOT_FOUND', async () => {
    await expect(loadCheckpoint(join(tmp, 'nope'))).rejects.toMatchObject({ code: 'NOT_FOUND' });
    const dir = join(tmp, 'noconfig');
    cpSync(fixture, dir, { recursive: true });
    rmSync(join(dir, 'config.json'));
    await expect(loadCheckpoint(dir)).rejects.toThrow(/no config\.json/);
  });
});
