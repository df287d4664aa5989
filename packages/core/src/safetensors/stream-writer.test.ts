import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { RhoError } from '../errors.ts';
import { decodeFloats, encodeFloats } from './dtype.ts';
import { encodeSafetensors, readSafetensors, type SafeTensor } from './format.ts';
import { planShards, tensorBytes, writeSafetensorsStream, type TensorFill, type TensorSpec } from './stream-writer.ts';

let tmp: string;
beforeAll(() => {
  tmp = mkdtempSync(join(tmpdir(), 'stream-writer-'));
});
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Values i * 0.25 + k for tensor k (exact in every dtype), produced through the fill interface. */
function counting(specs: readonly TensorSpec[]): (t: TensorSpec) => TensorFill {
  return (t) => {
    const k = specs.indexOf(t);
    let i = 0;
    return (out) => {
      const n = out.length / (t.dtype === 'F32' ? 4 : 2);
      const vals = Float32Array.from({ length: n }, () => (i++ % 64) * 0.25 + k);
      out.set(encodeFloats(vals, t.dtype));
    };
  };
}

const specs: TensorSpec[] = [
  { name: 'b.weight', dtype: 'BF16', shape: [7, 5] },
  { name: 'a.weight', dtype: 'F32', shape: [3] },
  { name: 'c.weight', dtype: 'F16', shape: [2, 3, 3] },
];

describe('writeSafetensorsStream', () => {
  it('writes the bytes encodeSafetensors writes, whatever the chunk size', async () => {
    const whole = new Map<string, SafeTensor>();
    for (const t of specs) {
      const bytes = new Uint8Array(tensorBytes(t));
      counting(specs)(t)(bytes);
      whole.set(t.name, { dtype: t.dtype, shape: [...t.shape], data: decodeFloats(bytes, t.dtype) });
    }
    const reference = encodeSafetensors(whole, { format: 'pt' });
    for (const chunkBytes of [4, 12, 1 << 20]) {
      const path = join(tmp, `c${chunkBytes}.safetensors`);
      let last = 0;
      const n = await writeSafetensorsStream(path, specs, counting(specs), { metadata: { format: 'pt' }, chunkBytes, onBytes: (b) => (last = b) });
      expect(n).toBe(specs.reduce((a, t) => a + tensorBytes(t), 0));
      expect(last).toBe(n);
      expect(Buffer.from(readFileSync(path)).equals(Buffer.from(reference)), `chunk ${chunkBytes}`).toBe(true);
    }
    const back = readSafetensors(join(tmp, 'c4.safetensors'));
    expect([...back.keys()]).toEqual(['a.weight', 'b.weight', 'c.weight']);
    expect(back.get('c.weight')!.data[5]).toBe(5 * 0.25 + 2);
  });

  it('a failing producer leaves neither the file nor a temporary one', async () => {
    const dir = mkdtempSync(join(tmp, 'fail-'));
    const boom = (t: TensorSpec): TensorFill =>
      t.name === 'c.weight'
        ? () => {
            throw new Error('boom');
          }
        : counting(specs)(t);
    await expect(writeSafetensorsStream(join(dir, 'x.safetensors'), specs, boom, { chunkBytes: 8 })).rejects.toThrow(/boom/);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('planShards', () => {
  const layers: TensorSpec[] = Array.from({ length: 10 }, (_, i) => ({ name: `t${i}`, dtype: 'BF16', shape: [i % 3 === 0 ? 100 : 40, 10] }));

  it('splits whole tensors, in order, into shards of similar bytes', () => {
    for (const n of [1, 2, 3, 4]) {
      const plan = planShards(layers, n);
      expect(plan).toHaveLength(n);
      expect(plan.flat()).toEqual(layers);
      const sizes = plan.map((s) => s.reduce((a, t) => a + tensorBytes(t), 0));
      const largest = Math.max(...layers.map(tensorBytes));
      const share = sizes.reduce((a, b) => a + b, 0) / n;
      for (const s of sizes) expect(Math.abs(s - share)).toBeLessThanOrEqual(largest);
    }
  });

  it('refuses a split that would leave a shard empty', () => {
    expect(() => planShards(layers.slice(0, 2), 3)).toThrow(RhoError);
    expect(() => planShards(layers, 0)).toThrow(/positive integer/);
  });
});
