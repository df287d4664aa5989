import { closeSync, existsSync, fstatSync, openSync, readSync } from 'node:fs';
import { RhoError } from '../errors.ts';
import { DTYPE_BYTES, FLOAT_DTYPES, decodeFloats, encodeFloats, type FloatDtype } from './dtype.ts';
import { writeFileAtomic } from '../io/atomic.ts';

/** One tensor as this project holds it: values always float32 in memory, `dtype` what the file stores. */
export interface SafeTensor {
  dtype: FloatDtype;
  shape: number[];
  data: Float32Array;
}

interface HeaderEntry {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

export interface SafetensorsHeader {
  tensors: Map<string, HeaderEntry>;
  metadata: Record<string, string>;
  /** Byte offset of the data section in the file. */
  dataStart: number;
}

const MAX_HEADER = 100 * 1024 * 1024;

/** Parse the 8-byte length and JSON header at the start of a safetensors file. */
export function parseHeader(head: Uint8Array, file: string, fileSize: number): SafetensorsHeader {
  if (head.length < 8) throw new RhoError('BAD_INPUT', 'file too short for a safetensors header', { file });
  const n = Number(new DataView(head.buffer, head.byteOffset, 8).getBigUint64(0, true));
  if (n > MAX_HEADER || 8 + n > fileSize) throw new RhoError('BAD_INPUT', `header length ${n} exceeds the file`, { file, hint: 'is this a safetensors file?' });
  if (head.length < 8 + n) throw new RhoError('BAD_INPUT', 'truncated safetensors header', { file });
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(new TextDecoder().decode(head.subarray(8, 8 + n))) as Record<string, unknown>;
  } catch (e) {
    throw new RhoError('BAD_INPUT', `safetensors header is not JSON: ${(e as Error).message}`, { file }, { cause: e });
  }
  const dataStart = 8 + n;
  const tensors = new Map<string, HeaderEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, v] of Object.entries(json)) {
    if (name === '__metadata__') {
      metadata = (v ?? {}) as Record<string, string>;
      continue;
    }
    const e = v as HeaderEntry;
    const ok =
      e &&
      typeof e.dtype === 'string' &&
      Array.isArray(e.shape) &&
      e.shape.every((d) => Number.isInteger(d) && d >= 0) &&
      Array.isArray(e.data_offsets) &&
      e.data_offsets.length === 2;
    if (!ok) throw new RhoError('BAD_INPUT', `malformed header entry for tensor ${name}`, { file, field: name });
    const [a, b] = e.data_offsets;
    if (!(a >= 0 && b >= a && dataStart + b <= fileSize)) {
      throw new RhoError('BAD_INPUT', `tensor ${name}: data offsets [${a}, ${b}] lie outside the file`, { file, field: name });
    }
    tensors.set(name, e);
  }
  return { tensors, metadata, dataStart };
}

/** Check a header entry is a float dtype we read and that its byte length matches its shape. */
function checkEntry(name: string, e: HeaderEntry, file: string): FloatDtype {
  if (!FLOAT_DTYPES.includes(e.dtype as FloatDtype)) {
    throw new RhoError('UNSUPPORTED', `tensor ${name} has dtype ${e.dtype}`, {
      file,
      field: name,
      expected: FLOAT_DTYPES,
      got: e.dtype,
      hint: 'convert the checkpoint to float32, float16 or bfloat16',
    });
  }
  const dtype = e.dtype as FloatDtype;
  const want = e.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[dtype];
  const got = e.data_offsets[1] - e.data_offsets[0];
  if (want !== got)
    throw new RhoError('BAD_INPUT', `tensor ${name}: shape [${e.shape}] of ${dtype} needs ${want} bytes, the file gives ${got}`, {
      file,
      field: name,
      expected: want,
      got,
    });
  return dtype;
}

/**
 * Read every tensor of a safetensors file (a path, read piecewise so files over 2 GB work, or the
 * bytes of one). `only` restricts reading to the named tensors.
 */
export function readSafetensors(src: string | Uint8Array, opts: { only?: ReadonlySet<string> } = {}): Map<string, SafeTensor> {
  const out = new Map<string, SafeTensor>();
  if (typeof src !== 'string') {
    const h = parseHeader(src, '<bytes>', src.length);
    for (const [name, e] of h.tensors) {
      if (opts.only && !opts.only.has(name)) continue;
      const dtype = checkEntry(name, e, '<bytes>');
      out.set(name, { dtype, shape: [...e.shape], data: decodeFloats(src.subarray(h.dataStart + e.data_offsets[0], h.dataStart + e.data_offsets[1]), dtype) });
    }
    return out;
  }
  const file = src;
  if (!existsSync(file)) throw new RhoError('NOT_FOUND', 'no such safetensors file', { file });
  const fd = openSync(file, 'r');
  try {
    const h = readHeaderAt(fd, file);
    for (const [name, e] of h.tensors) {
      if (opts.only && !opts.only.has(name)) continue;
      const dtype = checkEntry(name, e, file);
      const bytes = new Uint8Array(e.data_offsets[1] - e.data_offsets[0]);
      let off = 0;
      while (off < bytes.length) {
        const r = readSync(fd, bytes, off, bytes.length - off, h.dataStart + e.data_offsets[0] + off);
        if (r === 0) throw new RhoError('BAD_INPUT', `unexpected end of file reading tensor ${name}`, { file, field: name });
        off += r;
      }
      out.set(name, { dtype, shape: [...e.shape], data: decodeFloats(bytes, dtype) });
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

/** The header of an open file: only its first 8 + header-length bytes are read. */
function readHeaderAt(fd: number, file: string): SafetensorsHeader {
  const size = fstatSync(fd).size;
  const lenBuf = new Uint8Array(8);
  readSync(fd, lenBuf, 0, 8, 0);
  const n = Math.min(Number(new DataView(lenBuf.buffer).getBigUint64(0, true)), MAX_HEADER + 1);
  const head = new Uint8Array(Math.min(8 + n, size));
  readSync(fd, head, 0, head.length, 0);
  return parseHeader(head, file, size);
}

/** Names, dtypes and shapes of a file's tensors, without reading the data. */
export function readSafetensorsHeader(file: string): SafetensorsHeader {
  if (!existsSync(file)) throw new RhoError('NOT_FOUND', 'no such safetensors file', { file });
  const fd = openSync(file, 'r');
  try {
    return readHeaderAt(fd, file);
  } finally {
    closeSync(fd);
  }
}

/** A tensor's place in a file to be written: its data is `bytes` long and follows the previous one's. */
export interface HeaderTensor {
  name: string;
  dtype: FloatDtype;
  shape: readonly number[];
  bytes: number;
}

/** Where the data section starts: a multiple of a cache line. */
const DATA_ALIGN = 64;

/**
 * The start of a safetensors file for tensors laid out in the given order: the 8-byte header
 * length and the JSON header, padded with spaces so the data section starts on a 64-byte cache
 * line (the reference writer pads to 8; readers take any padding): the native engine then uses the
 * tensors in place rather than copying them onto a line. The data of the tensors follows it, in the
 * same order.
 */
export function encodeHeader(tensors: readonly HeaderTensor[], metadata?: Record<string, string>): Uint8Array {
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length) header.__metadata__ = metadata;
  let off = 0;
  for (const t of tensors) {
    if (!FLOAT_DTYPES.includes(t.dtype))
      throw new RhoError('UNSUPPORTED', `cannot write dtype ${t.dtype}`, { field: t.name, expected: FLOAT_DTYPES, got: t.dtype });
    const want = t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];
    if (want !== t.bytes)
      throw new RhoError('BAD_INPUT', `tensor ${t.name}: shape [${t.shape}] of ${t.dtype} needs ${want} bytes, got ${t.bytes}`, {
        field: t.name,
        expected: want,
        got: t.bytes,
      });
    header[t.name] = { dtype: t.dtype, shape: t.shape, data_offsets: [off, off + t.bytes] };
    off += t.bytes;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((DATA_ALIGN - ((8 + Buffer.byteLength(json)) % DATA_ALIGN)) % DATA_ALIGN);
  const headBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headBytes.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(headBytes.length), true);
  out.set(headBytes, 8);
  return out;
}

/** Serialise tensors to safetensors bytes; names are sorted, as the Python writer does. */
export function encodeSafetensors(tensors: ReadonlyMap<string, SafeTensor>, metadata?: Record<string, string>): Uint8Array {
  const names = [...tensors.keys()].sort();
  const parts: Uint8Array[] = [];
  const entries: HeaderTensor[] = [];
  for (const name of names) {
    const t = tensors.get(name)!;
    if (!FLOAT_DTYPES.includes(t.dtype))
      throw new RhoError('UNSUPPORTED', `cannot write dtype ${t.dtype}`, { field: name, expected: FLOAT_DTYPES, got: t.dtype });
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length)
      throw new RhoError('BAD_INPUT', `tensor ${name}: shape [${t.shape}] holds ${count} values, data has ${t.data.length}`, { field: name });
    const bytes = encodeFloats(t.data, t.dtype);
    entries.push({ name, dtype: t.dtype, shape: t.shape, bytes: bytes.length });
    parts.push(bytes);
  }
  const head = encodeHeader(entries, metadata);
  const out = new Uint8Array(head.length + parts.reduce((a, b) => a + b.length, 0));
  out.set(head, 0);
  let p = head.length;
  for (const b of parts) {
    out.set(b, p);
    p += b.length;
  }
  return out;
}

/** Write a safetensors file atomically. */
export function writeSafetensors(path: string, tensors: ReadonlyMap<string, SafeTensor>, metadata?: Record<string, string>): void {
  writeFileAtomic(path, encodeSafetensors(tensors, metadata));
}
