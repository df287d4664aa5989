import { closeSync, copyFileSync, existsSync, mkdirSync, openSync, renameSync, writeSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { tempPathFor, writeJsonAtomic } from '@rho/core';
import { CORPUS_FORMAT, type CorpusMeta, type SplitMeta, splitFile } from './format.ts';
import { type Doc, readDocs } from './input.ts';
import { encodeDocIndex, encodeTokens } from './token-file.ts';
import type { LoadedTokenizer, TextTokenizer } from './tokenizer.ts';

export interface PrepareOptions {
  inputs: string[];
  fields: string[];
  out: string;
  tokenizer: LoadedTokenizer;
  /** A separate validation corpus; otherwise `valFraction` of the documents are held out. */
  val?: string | null;
  valFraction: number;
  seed: number;
  onDoc?: (done: number, total: number) => void;
}

/**
 * Document ids: bos, text, eos. Text with noise spans is encoded span by span so every token is
 * either wholly noise or wholly clean; the noise flags come back aligned with the ids.
 */
export function encodeDoc(tok: TextTokenizer, doc: Doc): { ids: number[]; noise: Uint8Array } {
  const ids: number[] = [];
  const flags: number[] = [];
  const push = (part: number[], flag: number) => {
    for (const id of part) {
      ids.push(id);
      flags.push(flag);
    }
  };
  if (tok.bosId != null) push([tok.bosId], 0);
  const spans = [...(doc.noise ?? [])].sort((a, b) => a[0] - b[0]);
  let at = 0;
  for (const [s, e] of spans) {
    if (s > at) push(tok.encode(doc.text.slice(at, s), { addBos: false }), 0);
    push(tok.encode(doc.text.slice(Math.max(s, at), e), { addBos: false }), 1);
    at = Math.max(at, e);
  }
  if (at < doc.text.length) push(tok.encode(doc.text.slice(at), { addBos: false }), 0);
  if (tok.eosId != null) push([tok.eosId], 0);
  return { ids, noise: Uint8Array.from(flags) };
}

/** A deterministic per-document coin: is document i held out for validation? */
export function isHeldOut(i: number, seed: number, fraction: number): boolean {
  const h = createHash('sha256').update(`${seed}:${i}`).digest();
  return h.readUInt32LE(0) / 2 ** 32 < fraction;
}

/** Streams one split's documents into its files (written beside, renamed into place). */
function writeSplit(out: string, split: string, docs: Iterable<Doc>, tok: TextTokenizer, dtype: 'uint16' | 'uint32', tick: () => void): SplitMeta {
  const tokensPath = splitFile(out, split, 'tokens');
  const noisePath = splitFile(out, split, 'noise');
  const tmpTokens = tempPathFor(tokensPath);
  const tmpNoise = tempPathFor(noisePath);
  const ft = openSync(tmpTokens, 'w');
  const fn = openSync(tmpNoise, 'w');
  const hash = createHash('sha256');
  const offsets = [0];
  let total = 0;
  let anyNoise = false;
  try {
    for (const doc of docs) {
      const { ids, noise } = encodeDoc(tok, doc);
      const buf = encodeTokens(ids, dtype);
      hash.update(buf);
      writeSync(ft, buf);
      writeSync(fn, noise);
      if (doc.noise?.length) anyNoise = true;
      total += ids.length;
      offsets.push(total);
      tick();
    }
  } finally {
    closeSync(ft);
    closeSync(fn);
  }
  renameSync(tmpTokens, tokensPath);
  // Written even for clean corpora (all zeros), so every split has the same files.
  renameSync(tmpNoise, noisePath);
  const idx = splitFile(out, split, 'docs');
  writeFileAtomicBuf(idx, encodeDocIndex(offsets));
  return { tokens: total, docs: offsets.length - 1, sha256: hash.digest('hex'), noise: anyNoise };
}

function writeFileAtomicBuf(path: string, buf: Buffer): void {
  const tmp = tempPathFor(path);
  const fd = openSync(tmp, 'w');
  writeSync(fd, buf);
  closeSync(fd);
  renameSync(tmp, path);
}

/** Tokenize a corpus into a prepared directory; meta.json is written last, marking it complete. */
export function prepareCorpus(o: PrepareOptions): CorpusMeta {
  const docs = o.inputs.flatMap((f) => readDocs(f, o.fields));
  const valDocs = o.val ? readDocs(o.val, o.fields) : null;
  const { tokenizer: tok } = o.tokenizer;
  const dtype = tok.vocabSize <= 65536 ? 'uint16' : 'uint32';
  mkdirSync(o.out, { recursive: true });
  const total = docs.length + (valDocs?.length ?? 0);
  let done = 0;
  const tick = () => o.onDoc?.(++done, total);
  const train = valDocs ? docs : docs.filter((_, i) => !isHeldOut(i, o.seed, o.valFraction));
  const val = valDocs ?? docs.filter((_, i) => isHeldOut(i, o.seed, o.valFraction));
  const splits: Record<string, SplitMeta> = {
    train: writeSplit(o.out, 'train', train, tok, dtype, tick),
    val: writeSplit(o.out, 'val', val, tok, dtype, tick),
  };
  if (o.tokenizer.path) copyFileSync(o.tokenizer.path, join(o.out, 'tokenizer.json'));
  const meta: CorpusMeta = {
    format: CORPUS_FORMAT,
    dtype,
    vocabSize: tok.vocabSize,
    tokenizer: { kind: o.tokenizer.kind, sha256: o.tokenizer.sha256, bosId: tok.bosId ?? null, eosId: tok.eosId ?? null },
    source: { inputs: o.inputs, fields: o.fields, val: o.val ?? null, valFraction: valDocs ? 0 : o.valFraction, seed: o.seed },
    splits,
  };
  writeJsonAtomic(join(o.out, 'meta.json'), meta);
  return meta;
}

export const corpusExists = (dir: string) => existsSync(join(dir, 'meta.json'));
