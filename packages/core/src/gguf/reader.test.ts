import { mkdtempSync, readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RhoError } from '../errors.ts';
import { GGML_TYPE } from './constants.ts';
import { isGgufFile, readGgufHeader } from './reader.ts';
import { writeGguf, type GgufEntry } from './writer.ts';

const dir = mkdtempSync(join(tmpdir(), 'gguf-rw-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function errorOf(f: () => unknown): RhoError {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(RhoError);
    return e as RhoError;
  }
  throw new Error('expected an error');
}

describe('GGUF writer and reader', () => {
  const meta = new Map<string, GgufEntry>([
    ['general.architecture', { type: 'string', value: 'llama' }],
    ['llama.block_count', { type: 'u32', value: 2 }],
    ['llama.rope.freq_base', { type: 'f32', value: 10000 }],
    ['tokenizer.ggml.add_bos_token', { type: 'bool', value: true }],
    ['tokenizer.ggml.tokens', { type: 'string[]', value: ['a', 'ü', '▁b'] }],
    ['tokenizer.ggml.scores', { type: 'f32[]', value: [0, -1.5, -2] }],
    ['tokenizer.ggml.token_type', { type: 'i32[]', value: [1, 3, 6] }],
  ]);
  const a = Float32Array.from({ length: 6 }, (_, i) => i - 2.5);
  const b = Float32Array.from({ length: 5 }, (_, i) => i * 0.25);
  const file = join(dir, 'rt.gguf');
  writeGguf(file, meta, [
    { name: 'a', dims: [3, 2], type: GGML_TYPE.F32, bytes: 24, data: () => new Uint8Array(a.buffer) },
    { name: 'b', dims: [5], type: GGML_TYPE.F32, bytes: 20, data: () => new Uint8Array(b.buffer) },
  ]);

  it('round-trips metadata of every written type and places each tensor at an aligned offset', () => {
    const h = readGgufHeader(file);
    expect(h.version).toBe(3);
    expect(h.metadata.get('general.architecture')).toBe('llama');
    expect(h.metadata.get('llama.block_count')).toBe(2);
    expect(h.metadata.get('llama.rope.freq_base')).toBe(10000);
    expect(h.metadata.get('tokenizer.ggml.add_bos_token')).toBe(true);
    expect(h.metadata.get('tokenizer.ggml.tokens')).toEqual(['a', 'ü', '▁b']);
    expect(h.metadata.get('tokenizer.ggml.scores')).toEqual([0, -1.5, -2]);
    expect(h.metadata.get('tokenizer.ggml.token_type')).toEqual([1, 3, 6]);
    const bytes = readFileSync(file);
    for (const [name, want] of [
      ['a', a],
      ['b', b],
    ] as const) {
      const t = h.tensors.get(name)!;
      expect(t.offset % 32).toBe(0);
      expect(t.bytes).toBe(want.byteLength);
      expect(new Float32Array(bytes.buffer.slice(bytes.byteOffset + t.offset, bytes.byteOffset + t.offset + t.bytes!))).toEqual(want);
    }
    expect(h.tensors.get('a')!.dims).toEqual([3, 2]);
    expect(isGgufFile(file)).toBe(true);
  });

  it('refuses a file that is not GGUF, naming it', () => {
    const f = join(dir, 'not.gguf');
    writeFileSync(f, '{"this": "is json"}');
    const e = errorOf(() => readGgufHeader(f));
    expect(e.code).toBe('BAD_INPUT');
    expect(e.message).toMatch(/not a GGUF file/);
    expect(e.context.file).toBe(f);
    expect(isGgufFile(f)).toBe(false);
  });

  it('refuses a truncated file: in the header, or in the tensor data', () => {
    const size = readFileSync(file).length;
    // the last tensor's 20 bytes are padded to 32: cutting 16 bytes cuts 4 of its own
    for (const keep of [40, size - 16]) {
      const f = join(dir, `cut-${keep}.gguf`);
      writeFileSync(f, readFileSync(file));
      truncateSync(f, keep);
      const e = errorOf(() => readGgufHeader(f));
      expect(e.code).toBe('BAD_INPUT');
      expect(e.message).toMatch(/truncated/);
      expect(e.describe()).toContain(f);
    }
  });

  it('refuses an unknown version', () => {
    const f = join(dir, 'v9.gguf');
    const buf = Buffer.from(readFileSync(file));
    buf.writeUInt32LE(9, 4);
    writeFileSync(f, buf);
    expect(errorOf(() => readGgufHeader(f)).message).toMatch(/GGUF version 9/);
  });

  it('writes nothing at the destination when a tensor fails', () => {
    const f = join(dir, 'failed.gguf');
    expect(() => writeGguf(f, meta, [{ name: 'x', dims: [4], type: GGML_TYPE.F32, bytes: 16, data: () => new Uint8Array(8) }])).toThrow(
      /produced 8 bytes, planned 16/,
    );
    expect(isGgufFile(f)).toBe(false);
    expect(() => readFileSync(f)).toThrow();
  });
});
