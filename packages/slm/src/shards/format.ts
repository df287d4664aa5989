import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { RhoError } from '@rho/core';

/**
 * A prepared corpus directory:
 *   meta.json            this schema
 *   tokenizer.json       the tokenizer that made it (absent for the built-in byte tokenizer)
 *   <split>.tokens       every document's ids back to back (bos, text…, eos), uint16 or uint32 LE
 *   <split>.docs         uint64 LE start offset of each document, then the total
 *   <split>.noise        optional, one byte per token: 1 where the token came from injected noise
 */
export const CORPUS_FORMAT = 'rho-slm-corpus/1';

export const SplitMeta = z.strictObject({
  tokens: z.number().int().nonnegative(),
  docs: z.number().int().nonnegative(),
  sha256: z.string(),
  noise: z.boolean(),
});
export type SplitMeta = z.infer<typeof SplitMeta>;

export const CorpusMeta = z.strictObject({
  format: z.literal(CORPUS_FORMAT),
  dtype: z.enum(['uint16', 'uint32']),
  vocabSize: z.number().int().positive(),
  tokenizer: z.strictObject({ kind: z.enum(['bytes', 'file']), sha256: z.string(), bosId: z.number().int().nullable(), eosId: z.number().int().nullable() }),
  source: z.strictObject({
    inputs: z.array(z.string()),
    fields: z.array(z.string()),
    val: z.string().nullable(),
    valFraction: z.number(),
    seed: z.number().int(),
  }),
  splits: z.record(z.string(), SplitMeta),
});
export type CorpusMeta = z.infer<typeof CorpusMeta>;

export const splitFile = (dir: string, split: string, kind: 'tokens' | 'docs' | 'noise') => join(dir, `${split}.${kind}`);

export function readCorpusMeta(dir: string): CorpusMeta {
  const file = join(dir, 'meta.json');
  if (!existsSync(file)) throw new RhoError('NOT_FOUND', 'not a prepared corpus (no meta.json)', { file, hint: 'run `pnpm slm prepare` first' });
  const parsed = CorpusMeta.safeParse(JSON.parse(readFileSync(file, 'utf8')));
  if (!parsed.success)
    throw new RhoError('BAD_INPUT', `bad corpus meta.json: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`, { file });
  return parsed.data;
}

export function splitMeta(meta: CorpusMeta, split: string, dir: string): SplitMeta {
  const s = meta.splits[split];
  if (!s) throw new RhoError('NOT_FOUND', `corpus has no split "${split}"`, { file: join(dir, 'meta.json'), expected: Object.keys(meta.splits), got: split });
  return s;
}
