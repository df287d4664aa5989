/**
 * `pnpm bench tokenizer [--json] [--rows N]`: BPE training time (4096 tokens on the GSM8K training
 * corpus) and encoding throughput on MATH test problems and solutions, for the trained byte-level
 * tokenizer and the real Llama-2 vocabulary, against transformers.js (@lenml/tokenizers) on the same text.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { positiveInt, Tokenizer, trainBpe } from '@rho/core';
import { DATA_DIR, lenmlEncoder, llama2TokenizerJson } from '@rho/core/testing/tokenizer-reference';
import { printBenchResult } from './_table.ts';

const args = process.argv.slice(2);
if (args.includes('--help')) {
  console.log('usage: pnpm bench tokenizer [--json] [--rows N]   (N MATH test rows to encode, default 2000)');
  process.exit(0);
}
const rowsAt = args.indexOf('--rows');
const nRows = rowsAt >= 0 ? positiveInt('--rows')(args[rowsAt + 1] ?? '') : 2000;

const jsonl = (file: string) =>
  readFileSync(file, 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((l) => JSON.parse(l) as Record<string, string>);
const corpus = jsonl(join(DATA_DIR, 'corpus/gsm8k-train.jsonl')).map((r) => `${r.question}\n${r.answer}`);
const texts = jsonl(join(DATA_DIR, 'data/math/test.jsonl'))
  .slice(0, nRows)
  .map((r) => `${r.problem}\n${r.solution}`);
const chars = texts.reduce((n, t) => n + t.length, 0);

function time<T>(f: () => T): [T, number] {
  const t0 = performance.now();
  const r = f();
  return [r, (performance.now() - t0) / 1000];
}
/** Seconds to encode all texts (first pass: cold word cache) and the token count. */
function encodeAll(encode: (t: string) => number[]): { s: number; tokens: number } {
  const [tokens, s] = time(() => texts.reduce((n, t) => n + encode(t).length, 0));
  return { s, tokens };
}

const [trained, trainS] = time(() => trainBpe(corpus, { vocabSize: 4096 }));
const small = Tokenizer.fromJSON(trained);
const smallRun = encodeAll((t) => small.encode(t));
const llamaJson = llama2TokenizerJson();
const [llama, llamaLoadS] = time(() => Tokenizer.fromJSON(llamaJson));
const llamaRun = encodeAll((t) => llama.encode(t));
const lenml = lenmlEncoder(llamaJson);
const lenmlRun = encodeAll(lenml);
if (lenmlRun.tokens !== llamaRun.tokens) console.error(`warning: transformers.js gave ${lenmlRun.tokens} tokens, ours ${llamaRun.tokens}`);

const kcps = (r: { s: number }) => chars / r.s / 1000;
printBenchResult(
  `tokenizer: ${texts.length} MATH test texts, ${(chars / 1e6).toFixed(2)}M chars`,
  [
    ['train 4096 BPE on GSM8K s', trainS],
    ['byte-level 4096 encode kchars/s', kcps(smallRun)],
    ['Llama-2 load s', llamaLoadS],
    ['Llama-2 encode kchars/s', kcps(llamaRun)],
    ['transformers.js Llama-2 kchars/s', kcps(lenmlRun)],
  ],
  {
    train_4096_s: trainS,
    bytelevel_encode_kchars_per_s: kcps(smallRun),
    llama2_load_s: llamaLoadS,
    llama2_encode_kchars_per_s: kcps(llamaRun),
    lenml_llama2_encode_kchars_per_s: kcps(lenmlRun),
  },
  args.includes('--json'),
);
