import { createHash } from 'node:crypto';
import { closeSync, existsSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError } from '../errors.ts';

/**
 * What identifies a checkpoint directory (or a single GGUF file) cheaply: config.json's bytes, and each weight file's
 * name, size and safetensors header (tensor names, dtypes, shapes, offsets). Headers and sizes
 * alone cannot tell two trainings of one architecture apart (two `pnpm core init` seeds have the
 * same header), so some weight bytes go in too: the whole file when small, else evenly spaced
 * slices, a few MiB read whatever the checkpoint's size.
 */
export function checkpointFingerprint(dir: string): string {
  if (existsSync(dir) && statSync(dir).isFile()) return singleFileFingerprint(dir);
  const config = join(dir, 'config.json');
  if (!existsSync(config)) throw new RhoError('NOT_FOUND', 'checkpoint has no config.json', { file: dir });
  const h = createHash('sha256');
  h.update('config.json\0').update(readFileSync(config)).update('\0');
  const weights = readdirSync(dir)
    .filter((n) => n.endsWith('.safetensors') || n === 'model.safetensors.index.json')
    .sort();
  if (weights.length === 0) throw new RhoError('NOT_FOUND', 'checkpoint has no *.safetensors weight files', { file: dir });
  for (const name of weights) {
    const file = join(dir, name);
    const size = statSync(file).size;
    h.update(`${name}\0${size}\0`);
    h.update(name.endsWith('.json') ? readFileSync(file) : safetensorsHeader(file));
    if (!name.endsWith('.json')) h.update(weightSample(file, size));
    h.update('\0');
  }
  return `sha256:${h.digest('hex')}`;
}

/**
 * A single-file checkpoint (GGUF): its size, and its bytes as for a weight file; the metadata and
 * tokenizer sit at its start, which the first slice always covers.
 */
function singleFileFingerprint(file: string): string {
  const size = statSync(file).size;
  return `sha256:${createHash('sha256').update(`single-file\0${size}\0`).update(weightSample(file, size)).digest('hex')}`;
}

/** Weight files up to this size are hashed whole; larger ones through SLICES slices of SLICE_BYTES. */
const SMALL_FILE_BYTES = 16 * 1024 * 1024;
const SLICES = 8;
const SLICE_BYTES = 256 * 1024;

function weightSample(file: string, size: number): Buffer {
  if (size <= SMALL_FILE_BYTES) return readFileSync(file);
  const fd = openSync(file, 'r');
  try {
    const out = Buffer.alloc(SLICES * SLICE_BYTES);
    for (let i = 0; i < SLICES; i++) {
      const at = Math.floor(((size - SLICE_BYTES) * i) / (SLICES - 1));
      readSync(fd, out, i * SLICE_BYTES, SLICE_BYTES, at);
    }
    return out;
  } finally {
    closeSync(fd);
  }
}

function safetensorsHeader(file: string): Buffer {
  const fd = openSync(file, 'r');
  try {
    const len = Buffer.alloc(8);
    if (readSync(fd, len, 0, 8, 0) !== 8) throw new RhoError('BAD_INPUT', 'weight file shorter than a safetensors header', { file });
    const n = Number(len.readBigUInt64LE(0));
    if (n > 100 * 1024 * 1024) throw new RhoError('BAD_INPUT', 'implausible safetensors header length', { file, got: n });
    const header = Buffer.alloc(8 + n);
    len.copy(header);
    readSync(fd, header, 8, n, 8);
    return header;
  } finally {
    closeSync(fd);
  }
}
