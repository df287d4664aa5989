import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BYTE_BOS_ID, BYTE_EOS_ID, BYTE_VOCAB_SIZE, byteTokenizerJson, RhoError, Tokenizer, writeJsonAtomic } from '@rho/core';

/** What slm needs of a tokenizer; core's Tokenizer satisfies it. */
export interface TextTokenizer {
  readonly vocabSize: number;
  readonly bosId?: number | null;
  readonly eosId?: number | null;
  encode(text: string, opts?: { addBos?: boolean }): number[];
  decode(ids: number[], opts?: { skipSpecial?: boolean }): string;
}

/**
 * UTF-8 bytes as tokens (0–255) plus bos 256 and eos 257: no training, no unknown tokens, and
 * every character of injected noise maps to its own tokens — what the smoke experiment wants.
 * Checkpoints of byte-level models carry the same vocabulary as a tokenizer.json
 * (writeByteTokenizerJson), which encodes to the same ids.
 */
export class ByteTokenizer implements TextTokenizer {
  readonly vocabSize = BYTE_VOCAB_SIZE;
  readonly bosId = BYTE_BOS_ID;
  readonly eosId = BYTE_EOS_ID;
  encode(text: string, opts: { addBos?: boolean } = {}): number[] {
    const ids = Array.from(Buffer.from(text, 'utf8'));
    return opts.addBos ? [this.bosId, ...ids] : ids;
  }
  decode(ids: number[], opts: { skipSpecial?: boolean } = {}): string {
    let out = '';
    let run: number[] = [];
    const flush = () => {
      out += Buffer.from(run).toString('utf8');
      run = [];
    };
    for (const i of ids) {
      if (i < 256) run.push(i);
      else {
        flush();
        if (!opts.skipSpecial) out += i === this.bosId ? '<s>' : '</s>';
      }
    }
    flush();
    return out;
  }
}

export interface LoadedTokenizer {
  tokenizer: TextTokenizer;
  kind: 'bytes' | 'file';
  sha256: string;
  /** tokenizer.json to copy next to the data, when there is one. */
  path: string | null;
}

/**
 * `bytes`, a tokenizer.json, or a checkpoint directory holding one (read with core's Tokenizer).
 */
export async function loadTokenizer(spec: string): Promise<LoadedTokenizer> {
  if (spec === 'bytes') return { tokenizer: new ByteTokenizer(), kind: 'bytes', sha256: 'bytes', path: null };
  const path = existsSync(spec) && statSync(spec).isDirectory() ? join(spec, 'tokenizer.json') : spec;
  if (!existsSync(path))
    throw new RhoError('NOT_FOUND', 'no tokenizer.json', { file: path, hint: 'pass --tokenizer bytes, a tokenizer.json, or a checkpoint directory' });
  const bytes = readFileSync(path);
  const tok = Tokenizer.fromFile(path);
  // core's Tokenizer throws on a missing bos/eos; slm only needs to know whether there is one.
  const safe = (get: () => number) => {
    try {
      return get();
    } catch {
      return null;
    }
  };
  const tokenizer: TextTokenizer = {
    vocabSize: tok.vocabSize,
    bosId: safe(() => tok.bosId),
    eosId: safe(() => tok.eosId),
    encode: (text, opts) => tok.encode(text, { addBos: opts?.addBos ?? false, addEos: false }),
    decode: (ids, opts) => tok.decode(ids, opts),
  };
  return { tokenizer, kind: 'file', sha256: sha256(bytes), path };
}

/**
 * Write the tokenizer.json of ByteTokenizer's vocabulary to `path` and return it: a checkpoint
 * needs one to be run outside slm (`pnpm eval`), and bytes have no file of their own.
 */
export function writeByteTokenizerJson(path: string): string {
  writeJsonAtomic(path, byteTokenizerJson());
  return path;
}

export const sha256 = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
