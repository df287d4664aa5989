import { closeSync, existsSync, fstatSync, openSync, readSync, statSync } from 'node:fs';
import { RhoError } from '../errors.ts';
import { GGUF_DEFAULT_ALIGNMENT, GGUF_MAGIC, ggmlTensorBytes, ggmlTypeName, ValueType } from './constants.ts';

export type GgufValue = number | bigint | boolean | string | GgufValue[];

export interface GgufTensorInfo {
  name: string;
  /** ggml dims, fastest-varying first. */
  dims: number[];
  type: number;
  /** Absolute byte offset of the data in the file. */
  offset: number;
  /** Bytes, where the type's size is known. */
  bytes?: number;
}

export interface GgufHeader {
  file: string;
  version: number;
  metadata: Map<string, GgufValue>;
  tensors: Map<string, GgufTensorInfo>;
  dataStart: number;
  fileSize: number;
}

/** Tensors or keys beyond these counts mean a corrupt header, not a model. */
const MAX_COUNT = 1 << 24;

/** Reads a file front to back, pulling more bytes in as the parser needs them. */
class Cursor {
  private buf = Buffer.alloc(0);
  private start = 0; // file offset of buf[0]
  pos = 0; // file offset of the next byte
  constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly file: string,
  ) {}

  private need(n: number, what: string): Buffer {
    if (this.pos + n > this.size) {
      throw new RhoError('BAD_INPUT', `GGUF file is truncated: ${what} at byte ${this.pos} runs past the end of the file (${this.size} bytes)`, {
        file: this.file,
        hint: 'the download or conversion was cut short; fetch or convert it again',
      });
    }
    if (this.pos + n > this.start + this.buf.length) {
      const len = Math.min(this.size - this.pos, Math.max(n, 1 << 20));
      const b = Buffer.alloc(len);
      let got = 0;
      while (got < len) {
        const r = readSync(this.fd, b, got, len - got, this.pos + got);
        if (r === 0) break;
        got += r;
      }
      this.buf = b.subarray(0, got);
      this.start = this.pos;
    }
    const at = this.pos - this.start;
    this.pos += n;
    return this.buf.subarray(at, at + n);
  }
  u8(w: string) {
    return this.need(1, w).readUInt8(0);
  }
  i8(w: string) {
    return this.need(1, w).readInt8(0);
  }
  u16(w: string) {
    return this.need(2, w).readUInt16LE(0);
  }
  i16(w: string) {
    return this.need(2, w).readInt16LE(0);
  }
  u32(w: string) {
    return this.need(4, w).readUInt32LE(0);
  }
  i32(w: string) {
    return this.need(4, w).readInt32LE(0);
  }
  f32(w: string) {
    return this.need(4, w).readFloatLE(0);
  }
  f64(w: string) {
    return this.need(8, w).readDoubleLE(0);
  }
  u64(w: string): number {
    const v = this.need(8, w).readBigUInt64LE(0);
    return v <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(v) : Number.POSITIVE_INFINITY;
  }
  i64(w: string) {
    return this.need(8, w).readBigInt64LE(0);
  }
  str(w: string): string {
    const n = this.u64(`${w} length`);
    if (n > this.size) throw new RhoError('BAD_INPUT', `GGUF file is truncated or corrupt: ${w} claims ${n} bytes at byte ${this.pos}`, { file: this.file });
    return this.need(n, w).toString('utf8');
  }
}

function readValue(c: Cursor, type: number, what: string): GgufValue {
  switch (type) {
    case ValueType.UINT8:
      return c.u8(what);
    case ValueType.INT8:
      return c.i8(what);
    case ValueType.UINT16:
      return c.u16(what);
    case ValueType.INT16:
      return c.i16(what);
    case ValueType.UINT32:
      return c.u32(what);
    case ValueType.INT32:
      return c.i32(what);
    case ValueType.FLOAT32:
      return c.f32(what);
    case ValueType.BOOL:
      return c.u8(what) !== 0;
    case ValueType.STRING:
      return c.str(what);
    case ValueType.UINT64:
      return c.u64(what);
    case ValueType.INT64:
      return c.i64(what);
    case ValueType.FLOAT64:
      return c.f64(what);
    case ValueType.ARRAY: {
      const elem = c.u32(`${what} element type`);
      const n = c.u64(`${what} length`);
      if (n > c.size)
        throw new RhoError('BAD_INPUT', `GGUF file is truncated or corrupt: array ${what} claims ${n} elements`, { file: undefined, field: what });
      const out: GgufValue[] = new Array(n);
      for (let i = 0; i < n; i++) out[i] = readValue(c, elem, what);
      return out;
    }
    default:
      throw new RhoError('BAD_INPUT', `unknown GGUF value type ${type} for ${what}`, { field: what });
  }
}

/** Whether a file starts with the GGUF magic (cheap: four bytes). */
export function isGgufFile(path: string): boolean {
  if (!existsSync(path) || !statSync(path).isFile()) return false;
  const fd = openSync(path, 'r');
  try {
    const b = Buffer.alloc(4);
    return readSync(fd, b, 0, 4, 0) === 4 && b.readUInt32LE(0) === GGUF_MAGIC;
  } finally {
    closeSync(fd);
  }
}

/**
 * The header of a GGUF file: metadata and tensor infos, every tensor's bytes checked to lie
 * inside the file. A file that is not GGUF, an unsupported version or a truncated file is a
 * BAD_INPUT error naming the file, before llama.cpp is asked to load anything.
 */
export function readGgufHeader(path: string): GgufHeader {
  if (!existsSync(path)) throw new RhoError('NOT_FOUND', 'GGUF file does not exist', { file: path });
  const fd = openSync(path, 'r');
  try {
    const size = fstatSync(fd).size;
    const c = new Cursor(fd, size, path);
    if (size < 4 || c.u32('magic') !== GGUF_MAGIC) {
      throw new RhoError('BAD_INPUT', 'not a GGUF file (it does not start with the bytes "GGUF")', {
        file: path,
        hint: 'give a .gguf file, or a Hugging Face checkpoint directory (convert one with `pnpm core convert <dir> --to gguf`)',
      });
    }
    const version = c.u32('version');
    if (version !== 2 && version !== 3)
      throw new RhoError('UNSUPPORTED', `GGUF version ${version}; versions 2 and 3 are read`, { file: path, field: 'version', expected: [2, 3], got: version });
    const nTensors = c.u64('tensor count');
    const nKv = c.u64('metadata count');
    if (nTensors > MAX_COUNT || nKv > MAX_COUNT)
      throw new RhoError('BAD_INPUT', `GGUF header is corrupt: ${nTensors} tensors, ${nKv} metadata keys`, { file: path });
    const metadata = new Map<string, GgufValue>();
    for (let i = 0; i < nKv; i++) {
      const key = c.str(`metadata key ${i}`);
      const type = c.u32(`type of ${key}`);
      metadata.set(key, readValue(c, type, key));
    }
    const infos: GgufTensorInfo[] = [];
    for (let i = 0; i < nTensors; i++) {
      const name = c.str(`tensor name ${i}`);
      const nd = c.u32(`dims of ${name}`);
      if (nd > 4) throw new RhoError('BAD_INPUT', `tensor ${name} has ${nd} dimensions (GGUF allows 4)`, { file: path, field: name });
      const dims: number[] = [];
      for (let d = 0; d < nd; d++) dims.push(c.u64(`dims of ${name}`));
      const type = c.u32(`type of ${name}`);
      const offset = c.u64(`offset of ${name}`);
      infos.push({ name, dims, type, offset });
    }
    const alignment = typeof metadata.get('general.alignment') === 'number' ? (metadata.get('general.alignment') as number) : GGUF_DEFAULT_ALIGNMENT;
    const dataStart = Math.ceil(c.pos / alignment) * alignment;
    const tensors = new Map<string, GgufTensorInfo>();
    for (const t of infos) {
      const elements = t.dims.reduce((a, b) => a * b, 1);
      const bytes = ggmlTensorBytes(t.type, elements);
      const abs = dataStart + t.offset;
      if (abs + (bytes ?? 0) > size) {
        throw new RhoError(
          'BAD_INPUT',
          `GGUF file is truncated: tensor ${t.name} (${ggmlTypeName(t.type)}, [${t.dims}]) needs bytes up to ${abs + (bytes ?? 0)}, the file has ${size}`,
          { file: path, field: t.name, hint: 'the download or conversion was cut short; fetch or convert it again' },
        );
      }
      tensors.set(t.name, { ...t, offset: abs, bytes });
    }
    return { file: path, version, metadata, tensors, dataStart, fileSize: size };
  } finally {
    closeSync(fd);
  }
}
