import { closeSync, fstatSync, openSync, readFileSync, readSync } from 'node:fs';
import { RhoError } from '@rho/core';

/**
 * Random access to a flat token file through a file handle: only the ranges asked for are read,
 * so a corpus larger than memory trains fine. Holds an fd; call dispose().
 */
export class TokenFile {
  readonly length: number;
  private readonly fd: number;
  private readonly width: 1 | 2 | 4;

  constructor(
    readonly path: string,
    dtype: 'uint8' | 'uint16' | 'uint32',
  ) {
    this.width = dtype === 'uint8' ? 1 : dtype === 'uint16' ? 2 : 4;
    try {
      this.fd = openSync(path, 'r');
    } catch (e) {
      throw new RhoError('NOT_FOUND', 'cannot open token file', { file: path, hint: 'is this a prepared corpus directory?' }, { cause: e });
    }
    const bytes = fstatSync(this.fd).size;
    if (bytes % this.width !== 0) throw new RhoError('BAD_INPUT', `token file size ${bytes} is not a multiple of ${this.width}`, { file: path });
    this.length = bytes / this.width;
  }

  /** Tokens [start, start+count) clipped to the file. */
  read(start: number, count: number): Uint32Array {
    const end = Math.min(this.length, start + count);
    const n = Math.max(0, end - start);
    const buf = Buffer.alloc(n * this.width);
    let off = 0;
    while (off < buf.length) {
      const got = readSync(this.fd, buf, off, buf.length - off, start * this.width + off);
      if (got === 0) break;
      off += got;
    }
    const out = new Uint32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.width === 1 ? buf[i]! : this.width === 2 ? buf.readUInt16LE(i * 2) : buf.readUInt32LE(i * 4);
    return out;
  }

  dispose(): void {
    closeSync(this.fd);
  }
}

export function encodeTokens(ids: ArrayLike<number>, dtype: 'uint16' | 'uint32'): Buffer {
  const w = dtype === 'uint16' ? 2 : 4;
  const buf = Buffer.alloc(ids.length * w);
  for (let i = 0; i < ids.length; i++) {
    if (dtype === 'uint16') buf.writeUInt16LE(ids[i]!, i * 2);
    else buf.writeUInt32LE(ids[i]!, i * 4);
  }
  return buf;
}

/** Document start offsets (and the total as the last entry); small enough to hold in memory. */
export function readDocIndex(path: string): number[] {
  const buf = readFileSync(path);
  const out: number[] = [];
  for (let i = 0; i + 8 <= buf.length; i += 8) out.push(Number(buf.readBigUInt64LE(i)));
  return out;
}

export function encodeDocIndex(offsets: readonly number[]): Buffer {
  const buf = Buffer.alloc(offsets.length * 8);
  offsets.forEach((o, i) => buf.writeBigUInt64LE(BigInt(o), i * 8));
  return buf;
}
