import { z } from 'zod';
import { RhoError } from '../errors.ts';

/**
 * The parts of a Hugging Face tokenizer.json this package reads. Component objects (normalizer,
 * pre_tokenizer, decoder, post_processor) are checked by their builders, which name unknown types;
 * unknown top-level keys are tolerated because the format is Hugging Face's, not ours.
 */
const component = z.looseObject({ type: z.string() });

export const addedTokenSchema = z.looseObject({
  id: z.number().int().nonnegative(),
  content: z.string().min(1),
  single_word: z.boolean().default(false),
  lstrip: z.boolean().default(false),
  rstrip: z.boolean().default(false),
  normalized: z.boolean().default(false),
  special: z.boolean().default(false),
});
export type AddedToken = z.infer<typeof addedTokenSchema>;

export const bpeModelSchema = z.looseObject({
  type: z.literal('BPE').optional(),
  // Entries are checked one by one while the model is built: a schema pass over 100k entries costs seconds.
  vocab: z.custom<Record<string, number>>((v) => typeof v === 'object' && v !== null && !Array.isArray(v), 'expected an object of token → id'),
  merges: z.custom<Array<string | [string, string]>>((v) => Array.isArray(v), 'expected an array of merges'),
  unk_token: z.string().nullish(),
  byte_fallback: z.boolean().nullish(),
  fuse_unk: z.boolean().nullish(),
  ignore_merges: z.boolean().nullish(),
  dropout: z.number().nullish(),
  continuing_subword_prefix: z.string().nullish(),
  end_of_word_suffix: z.string().nullish(),
});

export const tokenizerJsonSchema = z.looseObject({
  version: z.string().optional(),
  added_tokens: z.array(addedTokenSchema).default([]),
  normalizer: component.nullish(),
  pre_tokenizer: component.nullish(),
  post_processor: component.nullish(),
  decoder: component.nullish(),
  model: z.looseObject({ type: z.string().optional() }),
});
export type TokenizerJson = z.infer<typeof tokenizerJsonSchema>;

/** The special-token names of a tokenizer_config.json (strings or `{content}` objects). */
const tokenName = z.union([z.string(), z.looseObject({ content: z.string() })]).nullish();
export const tokenizerConfigSchema = z.looseObject({
  bos_token: tokenName,
  eos_token: tokenName,
  pad_token: tokenName,
  unk_token: tokenName,
  add_bos_token: z.boolean().optional(),
  add_eos_token: z.boolean().optional(),
});
export type TokenizerConfig = z.infer<typeof tokenizerConfigSchema>;

export function tokenContent(t: z.infer<typeof tokenName>): string | undefined {
  return t == null ? undefined : typeof t === 'string' ? t : t.content;
}

/** Validate `obj` against `schema`, turning the first issue into a BAD_INPUT error. */
export function parseWith<T>(schema: z.ZodType<T>, obj: unknown, file: string | undefined, what: string): T {
  const r = schema.safeParse(obj);
  if (r.success) return r.data;
  const issue = r.error.issues[0]!;
  throw new RhoError('BAD_INPUT', `${what}: ${issue.message}`, { file, field: issue.path.join('.') || undefined });
}
