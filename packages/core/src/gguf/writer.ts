import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { tempPathFor } from '../io/atomic.ts';
import { RhoError } from '../errors.ts';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, GGUF_VERSION, ValueType } from './constants.ts';

/** A metadata value with the GGUF type it is written as (JavaScript numbers alone do not say). */
export type GgufEntry =
  | { type: 'string'; value: string }
  | { type: 'u32' | 'i32' | 'f32' | 'u64'; value: number }
  | { type: 'bool'; value: boolean }
  | { type: 'string[]'; value: readonly string[] }
  | { type: 'f32[]' | 'i32[]'; value: ArrayLike<number> };

/** One tensor to write: its ggml dims (fastest-varying first, i.e. the reverse of a row-major shape) and bytes. */
export interface GgufTensorOut {
  name: string;
  dims: readonly number[];
  type: number;
  bytes: number;
  /** The tensor's data, produced when its turn comes so only one tensor is in memory at a time. */
  data: () => Uint8Array;
}

/** A little-endian byte buffer that grows as it is written. */
class ByteSink {
  private buf = Buffer.alloc(1 << 16);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = Buffer.alloc(Math.max(this.buf.length * 2, this.length + n));
    this.buf.copy(next, 0, 0, this.length);
    this.buf = next;
  }
  u8(x: number) {
    this.room(1);
    this.buf.writeUInt8(x, this.length);
    this.length += 1;
  }
  u32(x: number) {
    this.room(4);
    this.buf.writeUInt32LE(x, this.length);
    this.length += 4;
  }
  i32(x: number) {
    this.room(4);
    this.buf.writeInt32LE(x, this.length);
    this.length += 4;
  }
  f32(x: number) {
    this.room(4);
    this.buf.writeFloatLE(x, this.length);
    this.length += 4;
  }
  u64(x: number) {
    this.room(8);
    this.buf.writeBigUInt64LE(BigInt(x), this.length);
    this.length += 8;
  }
  str(s: string) {
    const b = Buffer.from(s, 'utf8');
    this.u64(b.length);
    this.room(b.length);
    b.copy(this.buf, this.length);
    this.length += b.length;
  }
  pad(align: number) {
    while (this.length % align) this.u8(0);
  }
  bytes(): Buffer {
    return this.buf.subarray(0, this.length);
  }
}

function writeValue(s: ByteSink, e: GgufEntry): void {
  switch (e.type) {
    case 'string':
      s.u32(ValueType.STRING);
      s.str(e.value);
      return;
    case 'u32':
      s.u32(ValueType.UINT32);
      s.u32(e.value);
      return;
    case 'i32':
      s.u32(ValueType.INT32);
      s.i32(e.value);
      return;
    case 'f32':
      s.u32(ValueType.FLOAT32);
      s.f32(e.value);
      return;
    case 'u64':
      s.u32(ValueType.UINT64);
      s.u64(e.value);
      return;
    case 'bool':
      s.u32(ValueType.BOOL);
      s.u8(e.value ? 1 : 0);
      return;
    case 'string[]':
      s.u32(ValueType.ARRAY);
      s.u32(ValueType.STRING);
      s.u64(e.value.length);
      for (const x of e.value) s.str(x);
      return;
    case 'f32[]':
      s.u32(ValueType.ARRAY);
      s.u32(ValueType.FLOAT32);
      s.u64(e.value.length);
      for (let i = 0; i < e.value.length; i++) s.f32(e.value[i]!);
      return;
    case 'i32[]':
      s.u32(ValueType.ARRAY);
      s.u32(ValueType.INT32);
      s.u64(e.value.length);
      for (let i = 0; i < e.value.length; i++) s.i32(e.value[i]!);
      return;
  }
}

/** Header, metadata and tensor infos, padded so the data section starts aligned. */
export function encodeGgufHeader(
  metadata: ReadonlyMap<string, GgufEntry>,
  tensors: readonly Omit<GgufTensorOut, 'data'>[],
  align = GGUF_DEFAULT_ALIGNMENT,
): { header: Buffer; offsets: number[] } {
  const s = new ByteSink();
  s.u32(GGUF_MAGIC);
  s.u32(GGUF_VERSION);
  s.u64(tensors.length);
  s.u64(metadata.size);
  for (const [key, e] of metadata) {
    s.str(key);
    writeValue(s, e);
  }
  const offsets: number[] = [];
  let offset = 0;
  for (const t of tensors) {
    s.str(t.name);
    s.u32(t.dims.length);
    for (const d of t.dims) s.u64(d);
    s.u32(t.type);
    s.u64(offset);
    offsets.push(offset);
    offset += Math.ceil(t.bytes / align) * align;
  }
  s.pad(align);
  return { header: s.bytes(), offsets };
}

/**
 * Writes a GGUF v3 file: to a temporary file beside `out`, renamed over it once complete and
 * synced, so a failed or interrupted conversion leaves no partial model behind.
 */
export function writeGguf(
  out: string,
  metadata: ReadonlyMap<string, GgufEntry>,
  tensors: readonly GgufTensorOut[],
  onProgress?: (done: number, total: number) => void,
): { bytes: number } {
  const align = GGUF_DEFAULT_ALIGNMENT;
  const { header } = encodeGgufHeader(metadata, tensors, align);
  const total = header.length + tensors.reduce((a, t) => a + Math.ceil(t.bytes / align) * align, 0);
  mkdirSync(dirname(out), { recursive: true });
  const tmp = tempPathFor(out);
  const zeros = Buffer.alloc(align);
  let written = 0;
  const put = (fd: number, b: Uint8Array) => {
    let off = 0;
    while (off < b.length) off += writeSync(fd, b, off, b.length - off);
    written += b.length;
  };
  try {
    const fd = openSync(tmp, 'w');
    try {
      put(fd, header);
      onProgress?.(written, total);
      for (const t of tensors) {
        const data = t.data();
        if (data.length !== t.bytes) throw new RhoError('RUNTIME', `tensor ${t.name}: produced ${data.length} bytes, planned ${t.bytes}`, { field: t.name });
        put(fd, data);
        const pad = (align - (data.length % align)) % align;
        if (pad) put(fd, zeros.subarray(0, pad));
        onProgress?.(written, total);
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(tmp, out);
  } catch (e) {
    rmSync(tmp, { force: true });
    throw e;
  }
  return { bytes: written };
}
