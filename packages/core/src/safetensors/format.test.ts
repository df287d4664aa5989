import { describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { REPO_ROOT } from '../datadir.ts';
import { encodeSafetensors, readSafetensors, readSafetensorsHeader, writeSafetensors, type SafeTensor } from './format.ts';
import { readCheckpointTensors, writeCheckpointTensors } from './sharded.ts';

const fixtures = process.env.RHO_FIXTURES_DIR ?? resolve(REPO_ROOT, '../shared/fixtures');

function rawHeader(header: object, dataBytes: number): Uint8Array {
  const h = new TextEncoder().encode(JSON.stringify(header));
  const out = new Uint8Array(8 + h.length + dataBytes);
  new DataView(out.buffer).setBigUint64(0, BigInt(h.length), true);
  out.set(h, 8);
  return out;
}

describe('safetensors', () => {
  it('reads the F32 and BF16 fixtures: same tensors, BF16 values are the F32 ones truncated', () => {
    const f32 = readSafetensors(join(fixtures, 'tiny-llama/model.safetensors'));
    const bf16 = readSafetensors(join(fixtures, 'tiny-llama/bf16/model.safetensors'));
    expect([...f32.keys()].sort()).toEqual([...bf16.keys()].sort());
    const a = f32.get('model.layers.0.self_attn.k_proj.weight')!;
    const b = bf16.get('model.layers.0.self_attn.k_proj.weight')!;
    expect(a.shape).toEqual([32, 64]);
    expect(b.dtype).toBe('BF16');
    let maxRel = 0;
    for (let i = 0; i < a.data.length; i++) maxRel = Math.max(maxRel, Math.abs(a.data[i]! - b.data[i]!) / Math.max(1e-30, Math.abs(a.data[i]!)));
    expect(maxRel).toBeLessThan(2 ** -7); // bf16 keeps 8 significant bits
    expect(maxRel).toBeGreaterThan(0);
  });

  it('round-trips F32 bit-exactly and F16/BF16 to the representable value, with metadata', () => {
    const dir = mkdtempSync(join(tmpdir(), 'st-'));
    try {
      const data = new Float32Array([0, -0, 1.5, -3.25, 1e-3, 123.456, 7e-8, -65000]);
      for (const dtype of ['F32', 'F16', 'BF16'] as const) {
        const p = join(dir, `${dtype}.safetensors`);
        writeSafetensors(p, new Map([['w', { dtype, shape: [2, 4], data }]]), { format: 'pt' });
        const once = readSafetensors(p).get('w')!;
        expect(once.shape).toEqual([2, 4]);
        if (dtype === 'F32') expect(Buffer.from(once.data.buffer)).toEqual(Buffer.from(data.buffer));
        // writing what was read gives the same bytes: conversion is idempotent
        const again = encodeSafetensors(new Map([['w', once]]), { format: 'pt' });
        expect(Buffer.from(again)).toEqual(readFileSync(p));
        expect(readSafetensorsHeader(p).metadata).toEqual({ format: 'pt' });
        // the data section starts on a cache line (so the native engine maps it in place)
        expect(readSafetensorsHeader(p).dataStart % 64).toBe(0);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('rejects unsupported dtypes, wrong byte counts and offsets past the end, naming the tensor', () => {
    const i64 = rawHeader({ 'model.norm.weight': { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, 16);
    expect(() => readSafetensors(i64)).toThrow(/model\.norm\.weight has dtype I64/);
    const short = rawHeader({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 8] } }, 8);
    expect(() => readSafetensors(short)).toThrow(/shape \[3\] of F32 needs 12 bytes/);
    const past = rawHeader({ w: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, 8);
    expect(() => readSafetensors(past)).toThrow(/outside the file/);
    expect(() => readSafetensors(new Uint8Array([255, 255, 255, 255, 0, 0, 0, 0, 1]))).toThrow(/exceeds the file/);
  });

  it('writes and reads sharded checkpoints with an index', () => {
    const dir = mkdtempSync(join(tmpdir(), 'shard-'));
    try {
      const tensors = new Map<string, SafeTensor>();
      for (let i = 0; i < 5; i++) tensors.set(`t${i}`, { dtype: 'F32', shape: [10], data: Float32Array.from({ length: 10 }, (_, j) => i * 10 + j) });
      const files = writeCheckpointTensors(dir, tensors, { maxShardBytes: 100 });
      expect(files).toContain('model.safetensors.index.json');
      // 40 bytes each, two fit in 100: shards of 2, 2 and 1
      expect(
        readdirSync(dir)
          .filter((f) => f.endsWith('.safetensors'))
          .sort(),
      ).toEqual(['model-00001-of-00003.safetensors', 'model-00002-of-00003.safetensors', 'model-00003-of-00003.safetensors']);
      const index = JSON.parse(readFileSync(join(dir, 'model.safetensors.index.json'), 'utf8'));
      expect(index.metadata.total_size).toBe(200);
      const back = readCheckpointTensors(dir);
      expect([...back.keys()].sort()).toEqual([...tensors.keys()]);
      expect([...back.get('t3')!.data]).toEqual([...tensors.get('t3')!.data]);
      rmSync(join(dir, index.weight_map.t2));
      expect(() => readCheckpointTensors(dir)).toThrow(/shard named in the index is missing/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
