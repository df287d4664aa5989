import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError } from '../errors.ts';
import { writeJsonAtomic } from '../io/atomic.ts';
import { DTYPE_BYTES } from './dtype.ts';
import { readSafetensors, writeSafetensors, type SafeTensor } from './format.ts';

export const SINGLE_FILE = 'model.safetensors';
export const INDEX_FILE = 'model.safetensors.index.json';

/** The shard files of a checkpoint directory: model.safetensors, or those its index names. */
export function weightFiles(dir: string): { files: string[]; weightMap?: Map<string, string> } {
  const single = join(dir, SINGLE_FILE);
  if (existsSync(single)) return { files: [single] };
  const idx = join(dir, INDEX_FILE);
  if (!existsSync(idx)) {
    throw new RhoError('NOT_FOUND', `no ${SINGLE_FILE} or ${INDEX_FILE}`, {
      file: dir,
      hint: 'only safetensors checkpoints are read (convert pytorch_model.bin first)',
    });
  }
  let json: { weight_map?: Record<string, string> };
  try {
    json = JSON.parse(readFileSync(idx, 'utf8')) as typeof json;
  } catch (e) {
    throw new RhoError('BAD_INPUT', `index is not valid JSON: ${(e as Error).message}`, { file: idx }, { cause: e });
  }
  if (!json.weight_map || typeof json.weight_map !== 'object') throw new RhoError('BAD_INPUT', 'index has no weight_map', { file: idx, field: 'weight_map' });
  const weightMap = new Map(Object.entries(json.weight_map));
  const files = [...new Set(weightMap.values())].sort().map((f) => join(dir, f));
  for (const f of files) if (!existsSync(f)) throw new RhoError('NOT_FOUND', 'shard named in the index is missing', { file: f });
  return { files, weightMap };
}

/** Read all tensors of a checkpoint directory, single-file or sharded. */
export function readCheckpointTensors(dir: string): Map<string, SafeTensor> {
  const { files, weightMap } = weightFiles(dir);
  const out = new Map<string, SafeTensor>();
  for (const f of files) {
    for (const [name, t] of readSafetensors(f)) {
      if (out.has(name)) throw new RhoError('BAD_INPUT', `tensor ${name} appears in more than one shard`, { file: f, field: name });
      out.set(name, t);
    }
  }
  if (weightMap) {
    for (const name of weightMap.keys()) {
      if (!out.has(name))
        throw new RhoError('BAD_INPUT', `the index names tensor ${name}, its shard does not hold it`, { file: join(dir, weightMap.get(name)!), field: name });
    }
  }
  return out;
}

/**
 * Write tensors into `dir` as Hugging Face does: one model.safetensors when they fit in
 * `maxShardBytes`, else model-0000i-of-0000n.safetensors plus model.safetensors.index.json.
 * Returns the file names written.
 */
export function writeCheckpointTensors(
  dir: string,
  tensors: ReadonlyMap<string, SafeTensor>,
  opts: { maxShardBytes?: number; metadata?: Record<string, string> } = {},
): string[] {
  const max = opts.maxShardBytes ?? Infinity;
  const metadata = { format: 'pt', ...opts.metadata };
  const shards: Map<string, SafeTensor>[] = [new Map()];
  let size = 0;
  let total = 0;
  for (const name of [...tensors.keys()].sort()) {
    const t = tensors.get(name)!;
    const bytes = t.data.length * DTYPE_BYTES[t.dtype];
    if (size > 0 && size + bytes > max) {
      shards.push(new Map());
      size = 0;
    }
    shards[shards.length - 1]!.set(name, t);
    size += bytes;
    total += bytes;
  }
  if (shards.length === 1) {
    writeSafetensors(join(dir, SINGLE_FILE), tensors, metadata);
    return [SINGLE_FILE];
  }
  const n = shards.length;
  const pad = (i: number) => String(i).padStart(5, '0');
  const weightMap: Record<string, string> = {};
  const names: string[] = [];
  shards.forEach((s, i) => {
    const fname = `model-${pad(i + 1)}-of-${pad(n)}.safetensors`;
    writeSafetensors(join(dir, fname), s, metadata);
    for (const k of s.keys()) weightMap[k] = fname;
    names.push(fname);
  });
  writeJsonAtomic(join(dir, INDEX_FILE), { metadata: { total_size: total }, weight_map: weightMap });
  return [...names, INDEX_FILE];
}
