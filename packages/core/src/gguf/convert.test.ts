import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../datadir.ts';
import { GGML_TYPE } from './constants.ts';
import { convertToGguf, ggufTensorName, permuteRotaryRows } from './convert.ts';
import { checkArchitecture, configFromGguf, SLIDING_WINDOW_KEY } from './llama-meta.ts';
import { readGgufHeader } from './reader.ts';
import { readConfigFile } from '../config/llama-config.ts';

const FIXTURES = process.env.RHO_FIXTURES_DIR ?? resolve(REPO_ROOT, '../shared/fixtures');
const dir = mkdtempSync(join(tmpdir(), 'gguf-convert-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Q/K permutation', () => {
  // RoPE as Hugging Face applies it (rotate_half: dimension i pairs with i + d/2) and as llama.cpp's
  // llama does (dimension 2i pairs with 2i + 1), at one position, on one head
  const d = 8;
  const angle = (i: number) => 3 * 10000 ** (-(2 * i) / d);
  const ropeHf = (x: number[]) =>
    x.map((_, j) =>
      j < d / 2
        ? x[j]! * Math.cos(angle(j)) - x[j + d / 2]! * Math.sin(angle(j))
        : x[j]! * Math.cos(angle(j - d / 2)) + x[j - d / 2]! * Math.sin(angle(j - d / 2)),
    );
  const ropeInterleaved = (x: number[]) =>
    x.map((_, j) => {
      const i = j >> 1;
      return j % 2 === 0 ? x[j]! * Math.cos(angle(i)) - x[j + 1]! * Math.sin(angle(i)) : x[j]! * Math.cos(angle(i)) + x[j - 1]! * Math.sin(angle(i));
    });

  it("makes llama.cpp's rotation of the permuted rows the permutation of Hugging Face's rotation", () => {
    const q = Array.from({ length: 2 * d }, (_, i) => Math.sin(i + 1)); // two heads, one column
    const perm = (x: number[]) => [...permuteRotaryRows(Float32Array.from(x), 2 * d, 1, 2)];
    const hf = [...ropeHf(q.slice(0, d)), ...ropeHf(q.slice(d))];
    const p = perm(q);
    const cpp = [...ropeInterleaved(p.slice(0, d)), ...ropeInterleaved(p.slice(d))];
    perm(hf).forEach((x, i) => expect(cpp[i]).toBeCloseTo(x, 5));
  });

  it('moves whole rows: row h·d + j·d/2 + i goes to h·d + 2i + j', () => {
    const w = Float32Array.from({ length: 8 * 3 }, (_, i) => Math.floor(i / 3)); // row r holds r
    const out = permuteRotaryRows(w, 8, 3, 2);
    expect(Array.from({ length: 8 }, (_, r) => out[r * 3])).toEqual([0, 2, 1, 3, 4, 6, 5, 7]);
  });
});

describe('tensor names', () => {
  it("are llama.cpp's", () => {
    expect(ggufTensorName('model.embed_tokens.weight')).toBe('token_embd.weight');
    expect(ggufTensorName('model.layers.3.self_attn.o_proj.weight')).toBe('blk.3.attn_output.weight');
    expect(ggufTensorName('model.layers.0.post_attention_layernorm.weight')).toBe('blk.0.ffn_norm.weight');
    expect(ggufTensorName('lm_head.weight')).toBe('output.weight');
    expect(() => ggufTensorName('model.layers.0.mlp.experts.weight')).toThrow(/no llama.cpp name/);
  });
});

describe.skipIf(!existsSync(FIXTURES))('convertToGguf on the fixtures', () => {
  it("writes llama metadata that reads back as the checkpoint's config, with the window of a Mistral checkpoint", () => {
    for (const name of ['tiny-llama', 'tiny-mistral']) {
      const out = join(dir, `${name}.gguf`);
      convertToGguf(join(FIXTURES, name), { type: 'f32', out });
      const h = readGgufHeader(out);
      checkArchitecture(h);
      const got = configFromGguf(h);
      const want = readConfigFile(join(FIXTURES, name, 'config.json'));
      for (const k of [
        'vocabSize',
        'hiddenSize',
        'intermediateSize',
        'numHiddenLayers',
        'numAttentionHeads',
        'numKeyValueHeads',
        'headDim',
        'ropeTheta',
        'maxPositionEmbeddings',
        'tieWordEmbeddings',
        'bosTokenId',
        'eosTokenId',
        'slidingWindow',
      ] as const)
        expect(got[k], k).toEqual(want[k]);
      expect(got.rmsNormEps).toBeCloseTo(want.rmsNormEps, 10);
      expect(h.metadata.has(SLIDING_WINDOW_KEY)).toBe(name === 'tiny-mistral');
      expect(h.tensors.get('token_embd.weight')!.dims).toEqual([want.hiddenSize, want.vocabSize]);
      expect(h.tensors.size).toBe(2 + 9 * want.numHiddenLayers + 1);
    }
  });

  it('q8_0: matrices in Q8_0, norms in F32, rows that are no multiple of 32 in F16', () => {
    const out = join(dir, 'q8.gguf');
    const r = convertToGguf(join(FIXTURES, 'tiny-llama'), { type: 'q8_0', out });
    const h = readGgufHeader(out);
    expect(h.metadata.get('general.file_type')).toBe(7);
    expect(h.tensors.get('blk.0.attn_q.weight')!.type).toBe(GGML_TYPE.Q8_0);
    expect(h.tensors.get('blk.0.attn_norm.weight')!.type).toBe(GGML_TYPE.F32);
    // intermediate_size 176: down_proj's rows are 176 long
    expect(h.tensors.get('blk.0.ffn_down.weight')!.type).toBe(GGML_TYPE.F16);
    expect(r.f16Fallbacks).toEqual(['model.layers.0.mlp.down_proj.weight', 'model.layers.1.mlp.down_proj.weight']);
  });

  it('refuses an unknown --type before writing anything', () => {
    const out = join(dir, 'q4.gguf');
    expect(() => convertToGguf(join(FIXTURES, 'tiny-llama'), { type: 'q4_0' as never, out })).toThrow(/type must be one of f32, f16, bf16, q8_0/);
    expect(existsSync(out)).toBe(false);
  });
});
