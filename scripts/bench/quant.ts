/**
 * `pnpm bench quant [<ckpt-dir> | --preset tinyllama-1.1b] [--type q8_0] [--tokens 512] [--json]`: how
 * much a quantized GGUF changes the model, as top-1 agreement with the F32 model: both written by
 * `pnpm core convert` from the same checkpoint, both run by llama.cpp on the same GSM8K text (the
 * test split's questions and answers, tokenized by the checkpoint's tokenizer), and at each position
 * the argmax of the logits compared. Also the largest logit difference and the mean |Δ| of the
 * next-token loss.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { convertToGguf, GGUF_OUT_TYPES, type GgufOutType, HUB_PRESET_NAMES, openLlamaCppLm, Tokenizer, weightFiles } from '@rho/core';
import { int, loadProgressBar, oneOf, resolveDataDir, RhoError } from '@rho/core/base';
import { cpuIsa } from './_isa.ts';
import { presetCheckpoint } from './_preset-checkpoint.ts';
import { printBenchResult } from './_table.ts';

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    preset: { type: 'string' },
    type: { type: 'string', default: 'q8_0' },
    tokens: { type: 'string', default: '512' },
    'data-dir': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  console.log(`usage: pnpm bench quant <ckpt-dir> | --preset ${HUB_PRESET_NAMES.join('|')} [--type ${GGUF_OUT_TYPES.join('|')}] [--tokens N] [--data-dir DIR] [--json]
Top-1 agreement of the --type GGUF (default q8_0) with the F32 GGUF of the same checkpoint, both on
llama.cpp, over the first N (default 512) tokens of GSM8K test text ($RHO_DATA_DIR/data/gsm8k/test.jsonl).
Conversions are kept in ${join(tmpdir(), 'rho-bench')}.`);
  process.exit(0);
}
const fail = (field: string, message: string): never => {
  throw new RhoError('BAD_CONFIG', message, { field });
};
if ((positionals.length === 1) === (opt.preset !== undefined) || positionals.length > 1) fail('preset', 'give one checkpoint directory or --preset NAME');
oneOf('--type', GGUF_OUT_TYPES)(opt.type!);
const nTokens = int('--tokens', { min: 2 })(opt.tokens!);
const note = (s: string) => process.stderr.write(`bench quant: ${s}\n`);

const source = resolve(opt.preset ? await presetCheckpoint(opt.preset, { log: note }) : positionals[0]!);
const tokFile = join(source, 'tokenizer.json');
if (!existsSync(tokFile)) throw new RhoError('NOT_FOUND', 'the checkpoint has no tokenizer.json to tokenize GSM8K text with', { file: source });

function ggufOf(type: GgufOutType): string {
  const stamp = weightFiles(source)
    .files.map((f) => `${f}:${statSync(f).mtimeMs}`)
    .join('|');
  const file = join(tmpdir(), 'rho-bench', `${basename(source)}-${createHash('sha256').update(stamp).digest('hex').slice(0, 12)}.${type}.gguf`);
  if (existsSync(file)) return file;
  note(`converting to ${type} GGUF: ${file}`);
  const bar = loadProgressBar(`convert ${type}`);
  try {
    convertToGguf(source, { type, out: file, onProgress: bar.onLoadProgress });
  } finally {
    bar.stop();
  }
  return file;
}

const dataFile = join(resolveDataDir(opt['data-dir']), 'data/gsm8k/test.jsonl');
if (!existsSync(dataFile)) throw new RhoError('NOT_FOUND', 'no GSM8K test split', { file: dataFile, hint: 'run `pnpm data fetch` or set RHO_DATA_DIR' });
const text = readFileSync(dataFile, 'utf8')
  .split('\n')
  .filter(Boolean)
  .slice(0, 40)
  .map((l) => {
    const r = JSON.parse(l) as { question: string; answer: string };
    return `Question: ${r.question}\nAnswer: ${r.answer}`;
  })
  .join('\n\n');
const tok = Tokenizer.fromFile(tokFile);
const ids = tok.encode(text).slice(0, nTokens);
if (ids.length < nTokens) fail('tokens', `the GSM8K text gives only ${ids.length} tokens`);

/** One model at a time: the F32 file of a 1.1B model alone is 4.4 GB. */
async function logitsOf(type: GgufOutType): Promise<{ logits: Float32Array; description: string; bytes: number }> {
  const file = ggufOf(type);
  const bar = loadProgressBar(`load ${type}`);
  let opened: Awaited<ReturnType<typeof openLlamaCppLm>>;
  try {
    opened = await openLlamaCppLm(file, { onLoadProgress: bar.onLoadProgress });
  } finally {
    bar.stop();
  }
  try {
    note(`${type}: logits of ${ids.length} tokens`);
    return { logits: opened.lm.logits([ids])[0]!, description: opened.lm.description, bytes: opened.weightBytes };
  } finally {
    opened.lm.dispose();
  }
}

const ref = await logitsOf('f32');
const q = await logitsOf(opt.type as GgufOutType);
const v = ref.logits.length / ids.length;
let agree = 0;
// positions whose F32 top-2 margin exceeds the largest logit change: there a flip would be an error, not a near-tie
let decisive = 0;
let decisiveAgree = 0;
const margins: number[] = [];
let maxDiff = 0;
let lossDiff = 0;
const argmax = (x: Float32Array) => {
  let b = 0;
  for (let i = 1; i < x.length; i++) if (x[i]! > x[b]!) b = i;
  return b;
};
const nll = (x: Float32Array, target: number) => {
  let m = -Infinity;
  for (const y of x) m = Math.max(m, y);
  let s = 0;
  for (const y of x) s += Math.exp(y - m);
  return m + Math.log(s) - x[target]!;
};
for (let t = 0; t < ids.length; t++) {
  const a = ref.logits.subarray(t * v, (t + 1) * v);
  const b = q.logits.subarray(t * v, (t + 1) * v);
  if (argmax(a) === argmax(b)) agree++;
  let rowDiff = 0;
  for (let i = 0; i < v; i++) rowDiff = Math.max(rowDiff, Math.abs(a[i]! - b[i]!));
  maxDiff = Math.max(maxDiff, rowDiff);
  const top = [...a].sort((x, y) => y - x);
  margins.push(top[0]! - top[1]!);
  if (top[0]! - top[1]! > 2 * rowDiff) {
    decisive++;
    if (argmax(a) === argmax(b)) decisiveAgree++;
  }
  if (t + 1 < ids.length) lossDiff += Math.abs(nll(a, ids[t + 1]!) - nll(b, ids[t + 1]!));
}
const agreement = agree / ids.length;
function median(x: number[]): number {
  const s = [...x].sort((p, q) => p - q);
  return s[Math.floor(s.length / 2)]!;
}
printBenchResult(
  `quant bench: ${opt.preset ?? source}, ${opt.type} vs f32 on llama.cpp`,
  [
    ['cpu', cpuIsa()],
    ['tokens', `${ids.length} of GSM8K test text`],
    [`top-1 agreement`, `${(100 * agreement).toFixed(2)}% (${agree}/${ids.length})`],
    ['F32 top-2 margin', `median ${median(margins).toFixed(3)}, ${margins.filter((m) => m < 0.1).length} of ${ids.length} positions under 0.1`],
    [
      'agreement where decisive',
      `${decisive ? ((100 * decisiveAgree) / decisive).toFixed(2) : 'n/a'}% (${decisiveAgree}/${decisive} positions whose F32 margin exceeds twice that position's largest logit change)`,
    ],
    ['max |logit diff|', maxDiff],
    ['mean |loss diff|', lossDiff / (ids.length - 1)],
    ['sizes', `f32 ${(ref.bytes / 1e9).toFixed(2)} GB, ${opt.type} ${(q.bytes / 1e9).toFixed(2)} GB`],
    ['f32', ref.description],
    [String(opt.type), q.description],
  ],
  {
    cpu: cpuIsa(),
    checkpoint: source,
    preset: opt.preset ?? null,
    type: opt.type,
    tokens: ids.length,
    top1_agreement: agreement,
    median_top2_margin: median(margins),
    decisive_positions: decisive,
    decisive_agreement: decisive ? decisiveAgree / decisive : null,
    max_abs_logit_diff: maxDiff,
    mean_abs_loss_diff: lossDiff / (ids.length - 1),
    f32_bytes: ref.bytes,
    quant_bytes: q.bytes,
  },
  opt.json === true,
);
