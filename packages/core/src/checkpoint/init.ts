import { existsSync, readFileSync } from 'node:fs';
import { RhoError } from '../errors.ts';
import type { LlamaConfig } from '../config/llama-config.ts';
import { LlamaModel } from '../model/llama.ts';
import { saveCheckpoint } from './save.ts';

/** What a checkpoint needs to know of a tokenizer.json: how many ids it uses and its special ids. */
export interface TokenizerIds {
  /** Largest id in the vocabulary or added tokens, plus one. */
  size: number;
  bosId?: number;
  eosId?: number;
  padId?: number;
}

const BOS = ['<s>', '<|begin_of_text|>', '<|startoftext|>', '<bos>', '<|bos|>'];
const EOS = ['</s>', '<|end_of_text|>', '<|endoftext|>', '<eos>', '<|eos|>'];
const PAD = ['<pad>', '<|pad|>', '[PAD]'];

export function readTokenizerIds(path: string): TokenizerIds {
  if (!existsSync(path)) throw new RhoError('NOT_FOUND', 'no tokenizer file', { file: path, hint: 'train one with `pnpm core tokenizer train`' });
  let json: { model?: { vocab?: Record<string, number> | [string, number][] }; added_tokens?: { id: number; content: string }[] };
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as typeof json;
  } catch (e) {
    throw new RhoError('BAD_INPUT', `tokenizer is not JSON: ${(e as Error).message}`, { file: path }, { cause: e });
  }
  const vocab = json.model?.vocab;
  if (!vocab || typeof vocab !== 'object') throw new RhoError('BAD_INPUT', 'tokenizer.json has no model.vocab', { file: path, field: 'model.vocab' });
  // BPE/WordPiece vocabularies map token → id; Unigram lists [token, score] with the index as id.
  let size = Array.isArray(vocab) ? vocab.length : Math.max(-1, ...Object.values(vocab)) + 1;
  const byContent = new Map<string, number>();
  for (const t of json.added_tokens ?? []) {
    size = Math.max(size, t.id + 1);
    byContent.set(t.content, t.id);
  }
  if (!Array.isArray(vocab)) for (const [k, id] of Object.entries(vocab)) if (!byContent.has(k)) byContent.set(k, id);
  const find = (names: string[]) => names.map((n) => byContent.get(n)).find((x) => x !== undefined);
  return { size, bosId: find(BOS), eosId: find(EOS), padId: find(PAD) };
}

/**
 * Write a randomly initialised checkpoint directory (config.json, model.safetensors and, given
 * one, tokenizer.json). Special ids come from the tokenizer when it names them.
 */
export async function initCheckpoint(opts: { config: LlamaConfig; out: string; seed: number; tokenizerPath?: string }): Promise<LlamaConfig> {
  let config = opts.config;
  if (opts.tokenizerPath) {
    const tok = readTokenizerIds(opts.tokenizerPath);
    if (tok.size > config.vocabSize) {
      throw new RhoError('BAD_CONFIG', `the tokenizer uses ${tok.size} ids, the config's vocab_size is ${config.vocabSize}`, { file: opts.tokenizerPath, field: 'vocab_size', expected: `>= ${tok.size}`, got: config.vocabSize, hint: 'train the tokenizer with --vocab-size equal to the model\'s, or pass --config with a larger vocab_size' });
    }
    config = Object.freeze({ ...config, bosTokenId: tok.bosId ?? config.bosTokenId, eosTokenId: tok.eosId ?? config.eosTokenId, padTokenId: tok.padId ?? config.padTokenId });
  }
  for (const [field, id] of [['bos_token_id', config.bosTokenId], ['eos_token_id', config.eosTokenId]] as const) {
    for (const x of id === null ? [] : Array.isArray(id) ? id : [id]) {
      if (x >= config.vocabSize) throw new RhoError('BAD_CONFIG', `${field} ${x} is outside the vocabulary [0, ${config.vocabSize})`, { field });
    }
  }
  const model = LlamaModel.init(config, opts.seed);
  try {
    await saveCheckpoint(opts.out, model, { tokenizerJsonPath: opts.tokenizerPath });
  } finally {
    model.dispose();
  }
  return config;
}
