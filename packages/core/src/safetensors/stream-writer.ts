import { renameSync, rmSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { join } from 'node:path';
import { RhoError } from '../errors.ts';
import { tempPathFor, writeFileAtomic } from '../io/atomic.ts';
import { DTYPE_BYTES, type FloatDtype } from './dtype.ts';
import { encodeHeader } from './format.ts';
import { INDEX_FILE, SINGLE_FILE } from './sharded.ts';

/** A tensor to be written without ever being held whole: name, storage dtype, shape. */
export interface TensorSpec {
  readonly name: string;
  readonly dtype: FloatDtype;
  readonly shape: readonly number[];
}

/**
 * Produces a tensor's values in row-major order, already encoded as its dtype (little-endian):
 * each call fills all of `out`, a whole number of elements, continuing where the last call ended.
 */
export type TensorFill = (out: Uint8Array) => void;

export interface StreamWriteOptions {
  metadata?: Record<string, string>;
  /** Bytes produced per fill call; a few MB keeps memory flat and the syscalls few. */
  chunkBytes?: number;
  /** Called after each chunk with the data bytes written so far (by this call). */
  onBytes?: (bytes: number) => void;
}

const DEFAULT_CHUNK = 4 << 20;

export const tensorBytes = (t: TensorSpec): number => t.shape.reduce((a, b) => a * b, 1) * DTYPE_BYTES[t.dtype];

/** `model-0000i-of-0000n.safetensors`, as transformers names shards (i from 1). */
export function shardFileName(i: number, n: number): string {
  const pad = (x: number) => String(x).padStart(5, '0');
  return `model-${pad(i + 1)}-of-${pad(n)}.safetensors`;
}

/**
 * Split tensors, kept whole and in their order, into `shards` groups of roughly equal bytes: each
 * tensor goes to the shard its middle byte falls in. A shard left empty (a tensor larger than a
 * shard's share) is an error rather than a file without tensors.
 */
export function planShards(tensors: readonly TensorSpec[], shards: number): TensorSpec[][] {
  if (!Number.isInteger(shards) || shards < 1)
    throw new RhoError('BAD_CONFIG', `shards must be a positive integer, got ${shards}`, { field: 'shards', got: shards });
  const total = tensors.reduce((a, t) => a + tensorBytes(t), 0);
  const out: TensorSpec[][] = Array.from({ length: shards }, () => []);
  let before = 0;
  for (const t of tensors) {
    const bytes = tensorBytes(t);
    const i = total === 0 ? 0 : Math.min(shards - 1, Math.floor(((before + bytes / 2) / total) * shards));
    out[i]!.push(t);
    before += bytes;
  }
  const empty = out.findIndex((s) => s.length === 0);
  if (empty >= 0) {
    throw new RhoError('BAD_CONFIG', `cannot split ${tensors.length} tensors into ${shards} shards of similar size: shard ${empty + 1} would be empty`, {
      field: 'shards',
      got: shards,
      hint: 'use fewer shards',
    });
  }
  return out;
}

/**
 * Write one safetensors file tensor by tensor, `fillFor` producing each tensor's bytes chunk by
 * chunk: memory stays at two chunks whatever the file's size. Tensors are laid out by name, as
 * the Python writer does. The file is written under a temporary name and renamed when complete,
 * so an interrupted write leaves no file that looks whole. Returns the data bytes written.
 */
export async function writeSafetensorsStream(
  path: string,
  tensors: readonly TensorSpec[],
  fillFor: (t: TensorSpec) => TensorFill,
  opts: StreamWriteOptions = {},
): Promise<number> {
  const sorted = [...tensors].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  const head = encodeHeader(
    sorted.map((t) => ({ name: t.name, dtype: t.dtype, shape: t.shape, bytes: tensorBytes(t) })),
    opts.metadata,
  );
  // a multiple of 4 bytes, so every chunk holds whole elements of any dtype
  const chunk = Math.max(4, Math.floor((opts.chunkBytes ?? DEFAULT_CHUNK) / 4) * 4);
  const tmp = tempPathFor(path);
  const fh = await open(tmp, 'w');
  let done = 0;
  let inFlight: Promise<void> = Promise.resolve();
  try {
    const write = async (bytes: Uint8Array, at: number) => {
      let off = 0;
      while (off < bytes.length) {
        const { bytesWritten } = await fh.write(bytes, off, bytes.length - off, at + off);
        off += bytesWritten;
      }
    };
    await write(head, 0);
    let pos = head.length;
    // two buffers: one is filled while the other is being written (generation overlaps the I/O)
    const buffers = [new Uint8Array(chunk), new Uint8Array(chunk)];
    let which = 0;
    for (const t of sorted) {
      const fill = fillFor(t);
      let left = tensorBytes(t);
      while (left > 0) {
        const n = Math.min(chunk, left);
        const buf = buffers[which]!.subarray(0, n);
        which ^= 1;
        fill(buf);
        await inFlight; // the other buffer's write, started before this fill
        inFlight = write(buf, pos);
        pos += n;
        left -= n;
        done += n;
        opts.onBytes?.(done);
      }
    }
    await inFlight;
    await fh.sync();
  } catch (e) {
    await inFlight.catch(() => {});
    await fh.close().catch(() => {});
    rmSync(tmp, { force: true });
    throw e;
  }
  await fh.close();
  renameSync(tmp, path);
  return done;
}

export interface ShardedStreamOptions extends StreamWriteOptions {
  /** Number of files; 1 writes model.safetensors without an index. */
  shards?: number;
}

/**
 * Write tensors (in their given order, the checkpoint's) into `dir` in the Hugging Face layout:
 * model.safetensors, or `shards` files model-0000i-of-0000n.safetensors of roughly equal bytes plus
 * model.safetensors.index.json. Returns the file names written.
 */
export async function writeCheckpointStream(
  dir: string,
  tensors: readonly TensorSpec[],
  fillFor: (t: TensorSpec) => TensorFill,
  opts: ShardedStreamOptions = {},
): Promise<string[]> {
  const n = opts.shards ?? 1;
  const plan = planShards(tensors, n);
  const metadata = { format: 'pt', ...opts.metadata };
  let base = 0;
  const onBytes = (b: number) => opts.onBytes?.(base + b);
  if (n === 1) {
    await writeSafetensorsStream(join(dir, SINGLE_FILE), tensors, fillFor, { ...opts, metadata, onBytes });
    return [SINGLE_FILE];
  }
  const names: string[] = [];
  const weightMap: Record<string, string> = {};
  for (const [i, group] of plan.entries()) {
    const file = shardFileName(i, n);
    base += await writeSafetensorsStream(join(dir, file), group, fillFor, { ...opts, metadata, onBytes });
    for (const t of group) weightMap[t.name] = file;
    names.push(file);
  }
  // transformers writes the index with sorted keys
  const sortedMap = Object.fromEntries(
    Object.keys(weightMap)
      .sort()
      .map((k) => [k, weightMap[k]!]),
  );
  writeFileAtomic(join(dir, INDEX_FILE), `${JSON.stringify({ metadata: { total_size: base }, weight_map: sortedMap }, null, 2)}\n`);
  return [...names, INDEX_FILE];
}
