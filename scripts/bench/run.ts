/**
 * `pnpm bench run --preset tinyllama-1.1b|mistral-7b [--data gsm8k] [--problems N] [--json]`: what a
 * whole evaluation run costs, against the time it should take. Random weights of the architecture, the real few-shot
 * prompts of the dataset, and each problem decodes exactly as many tokens as the released
 * Rho-Math-7B cot completion for it has under the checkpoint's tokenizer (EOS ignored), so the time
 * predicts a real run. The scheduler eval uses (shared prefix, continuous batching) against the
 * naive way (every prompt computed in full, static batches of 16 that refill only when all finish).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { ContinuousBatcher, HUB_PRESET_NAMES, openNativeLm, type SequenceRequest, Tokenizer } from '@rho/core';
import { bytes, loadProgressBar, nonNegativeInt, oneOf, positiveInt, progressBar, resolveDataDir, RhoError } from '@rho/core/base';
import { constructPrompt, DEFAULT_MAX_BATCH, defaultKvBudget, formatBytes, loadExamples, peakRssBytes } from '@rho/eval';
import { presetCheckpoint, presetCheckpointDir } from './_preset-checkpoint.ts';
import { printBenchResult } from './_table.ts';
import { cpuIsa } from './_isa.ts';
import { engineTimeSplit } from './_engine-time.ts';

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    preset: { type: 'string' },
    data: { type: 'string', default: 'gsm8k' },
    problems: { type: 'string', default: '64' },
    'naive-problems': { type: 'string', default: '16' },
    'batch-size': { type: 'string', default: String(DEFAULT_MAX_BATCH) },
    'kv-mem': { type: 'string' },
    'data-dir': { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  console.log(`usage: pnpm bench run <ckpt-dir> | --preset ${HUB_PRESET_NAMES.join('|')} [--data gsm8k] [--problems N] [--naive-problems M] [--batch-size B] [--kv-mem SIZE] [--data-dir DIR] [--json]

  <ckpt-dir>        a checkpoint directory with its tokenizer.json
  --preset          instead: a random BF16 checkpoint of that architecture, written once to ${presetCheckpointDir('NAME')}
  --data            the dataset whose cot prompts are run (default gsm8k; its released Rho-Math-7B
                    completions give each problem's decode length)
  --problems        problems run by the scheduler eval uses, from the first (default 64)
  --naive-problems  problems run the naive way, for comparison (default 16; 0 skips it)
  --batch-size      sequences decoded together at most (default ${DEFAULT_MAX_BATCH})
  --kv-mem          key/value memory for them (default: from free memory, as pnpm eval)
  --json            one JSON object as the last line`);
  process.exit(0);
}
if ((positionals.length === 1) === (opt.preset !== undefined) || positionals.length > 1)
  throw new RhoError('BAD_CONFIG', 'give one checkpoint directory or --preset NAME', { field: 'preset' });
const preset = opt.preset === undefined ? undefined : oneOf('--preset', HUB_PRESET_NAMES)(opt.preset);
const problems = positiveInt('--problems')(opt.problems!);
const naiveProblems = nonNegativeInt('--naive-problems')(opt['naive-problems']!);
const maxBatch = positiveInt('--batch-size')(opt['batch-size']!);
const dataDir = resolveDataDir(opt['data-dir']);
const note = (line: string) => process.stderr.write(`${line}\n`);

// The released completions: how many tokens each problem's answer took the real model.
const released = join(dataDir, 'reference-outputs/rho-math-7b-v0.1', opt.data!, 'test_cot_-1_seed0_t0.0_s0_e-1.jsonl');
if (!existsSync(released)) throw new RhoError('NOT_FOUND', `no released Rho-Math-7B cot outputs for ${opt.data}`, { file: released, hint: 'pnpm data fetch' });
const completionByIdx = new Map<number, string>();
readFileSync(released, 'utf8')
  .split('\n')
  .forEach((line, i) => {
    if (!line.trim()) return;
    let row: { idx?: unknown; code?: unknown };
    try {
      row = JSON.parse(line);
    } catch {
      throw new RhoError('BAD_INPUT', 'not JSON', { file: released, line: i + 1 });
    }
    if (typeof row.idx !== 'number' || !Array.isArray(row.code) || typeof row.code[0] !== 'string')
      throw new RhoError('BAD_INPUT', 'expected idx and code[0]', { file: released, line: i + 1 });
    completionByIdx.set(row.idx, row.code[0]);
  });

const examples = loadExamples(opt.data!, dataDir);
const dir = preset ? await presetCheckpoint(preset, { log: note }) : positionals[0]!;
const label = preset ?? dir;
const tokenizer = Tokenizer.fromFile(join(dir, 'tokenizer.json'));
const load = loadProgressBar();
let opened: Awaited<ReturnType<typeof openNativeLm>>;
try {
  opened = await openNativeLm(dir, { precision: 'auto', onLoadProgress: load.onLoadProgress });
} finally {
  load.stop();
}
const { lm, weightBytes } = opened;
note(lm.description);

// Every problem of the dataset: its prompt's tokens and its decode length (for the projection).
const all = examples.map((e) => {
  const done = completionByIdx.get(e.idx);
  if (done === undefined) throw new RhoError('BAD_INPUT', `no released completion for problem ${e.idx}`, { file: released });
  // the completion's own tokens: encode adds BOS, which is not part of it
  return { prompt: tokenizer.encode(constructPrompt(e, 'cot', dataDir)), decode: Math.max(1, tokenizer.encode(done).length - 1) };
});
const requests = (n: number): SequenceRequest[] => all.slice(0, n).map((p) => ({ prompt: p.prompt, maxNewTokens: p.decode, eosId: null }));
const kvBudgetBytes = opt['kv-mem'] ? bytes('--kv-mem')(opt['kv-mem']) : defaultKvBudget();

interface Measured {
  seconds: number;
  prefixSeconds: number;
  /** When the last waiting sequence joined the batch (the run's steady state ends), and the work done by then. */
  steadySeconds: number;
  steadyWork: number;
  promptComputed: number;
  promptCached: number;
  promptNaive: number;
  decoded: number;
  meanBatch: number;
  kvPeak: number;
}

/** The scheduler as eval runs it: the shared prefix once, then every problem in one continuous batch. */
async function continuous(reqs: SequenceRequest[]): Promise<Measured> {
  const b = new ContinuousBatcher(lm, { maxBatch, kvBudgetBytes });
  const bar = progressBar(`continuous ×${reqs.length}`, reqs.length);
  try {
    const t0 = performance.now();
    b.setPrefix(all.map((p) => p.prompt));
    const prefixSeconds = (performance.now() - t0) / 1000;
    let done = 0;
    let steadySeconds = Number.NaN;
    let steadyWork = 0;
    await Promise.all(
      reqs.map((r) =>
        b.submit(r).then(() => {
          bar.update(++done);
          // the queue has just emptied: from here on the batch only drains
          if (Number.isNaN(steadySeconds) && b.waiting === 0) {
            steadySeconds = (performance.now() - t0) / 1000;
            steadyWork = b.stats.generatedTokens + b.stats.promptTokensComputed;
          }
        }),
      ),
    );
    const s = b.stats;
    return {
      ...measured(
        reqs,
        (performance.now() - t0) / 1000,
        prefixSeconds,
        s.promptTokensComputed + s.prefixTokens,
        s.promptTokensCached,
        s.rowsInSteps / Math.max(1, s.steps),
        s.peakKvBytes,
      ),
      steadySeconds,
      steadyWork,
    };
  } finally {
    bar.stop();
    b.close();
  }
}

/** The naive way: every prompt in full, static batches of 16 (rows leave as they end; none join). */
async function naive(reqs: SequenceRequest[]): Promise<Measured> {
  const b = new ContinuousBatcher(lm, { maxBatch: 16, kvBudgetBytes: Number.MAX_SAFE_INTEGER });
  const bar = progressBar(`naive ×${reqs.length}`, reqs.length);
  try {
    const t0 = performance.now();
    let done = 0;
    for (let i = 0; i < reqs.length; i += 16) await Promise.all(reqs.slice(i, i + 16).map((r) => b.submit(r).then(() => bar.update(++done))));
    const s = b.stats;
    return {
      ...measured(reqs, (performance.now() - t0) / 1000, 0, s.promptTokensComputed, 0, s.rowsInSteps / Math.max(1, s.steps), s.peakKvBytes),
      steadySeconds: Number.NaN,
      steadyWork: 0,
    };
  } finally {
    bar.stop();
    b.close();
  }
}

function measured(
  reqs: SequenceRequest[],
  seconds: number,
  prefixSeconds: number,
  promptComputed: number,
  promptCached: number,
  meanBatch: number,
  kvPeak: number,
): Omit<Measured, 'steadySeconds' | 'steadyWork'> {
  return {
    seconds,
    prefixSeconds,
    promptComputed,
    promptCached,
    promptNaive: reqs.reduce((a, r) => a + r.prompt.length, 0),
    decoded: reqs.reduce((a, r) => a + r.maxNewTokens, 0),
    meanBatch,
    kvPeak,
  };
}

const work = (ps: typeof all, shared: number) => ps.reduce((a, p) => a + p.decode + p.prompt.length - shared, 0);

/**
 * The whole dataset's time from a run over its first n problems (work: prompt tokens after the
 * prefix plus decoded tokens). A continuous run is full until its queue empties, then drains: the
 * whole dataset runs its extra work at the full batch's rate, and drains once as the run did. A run
 * that never had a queue (or the naive one) scales as a whole.
 */
function project(m: Measured, n: number, shared: number): number {
  const extra = work(all, shared) - work(all.slice(0, n), shared);
  if (Number.isNaN(m.steadySeconds) || m.steadyWork <= 0 || m.steadySeconds <= m.prefixSeconds) {
    return m.prefixSeconds + (m.seconds - m.prefixSeconds) * (work(all, shared) / work(all.slice(0, n), shared));
  }
  return m.seconds + (extra * (m.steadySeconds - m.prefixSeconds)) / m.steadyWork;
}

// a warm engine for the timed runs (pages in every weight, sizes the buffers)
note('warm-up');
await continuous(requests(2).map((r) => ({ ...r, maxNewTokens: 2 })));

note(`continuous: ${problems} problems, up to ${maxBatch} at once, key/value budget ${formatBytes(kvBudgetBytes)}`);
engineTimeSplit('native'); // from here on
const cont = await continuous(requests(problems));
const contSplit = engineTimeSplit('native');
const shared = cont.promptCached / Math.min(problems, all.length);
const contProjected = project(cont, Math.min(problems, all.length), shared);
let naiveM: Measured | null = null;
let naiveProjected: number | null = null;
if (naiveProblems > 0) {
  note(`naive: ${naiveProblems} problems, static batches of 16, no prefix cache`);
  naiveM = await naive(requests(naiveProblems));
  naiveProjected = project(naiveM, Math.min(naiveProblems, all.length), 0);
}
const rss = peakRssBytes();
const min = (s: number) => `${Math.floor(s / 60)}:${String(Math.round(s % 60)).padStart(2, '0')}`;
// the time a whole GSM8K cot run should take on a CPU with AMX, for the architectures of the
// paper's two models
const target = opt.preset === 'mistral-7b' ? 75 * 60 : opt.preset === 'tinyllama-1.1b' ? 12 * 60 : null;
const rows: Array<[string, string | number]> = [
  ['machine', `${cpuIsa()}, ${lm.description}`],
  ['checkpoint', opt.preset ? `${opt.preset} random weights, ${formatBytes(weightBytes)} BF16` : `${dir}, ${formatBytes(weightBytes)}`],
  ['problems run', `${Math.min(problems, all.length)} of ${all.length} (${opt.data} cot)`],
  [
    'prompt tokens computed',
    `${cont.promptComputed} of ${cont.promptNaive} naive (${((100 * cont.promptComputed) / cont.promptNaive).toFixed(1)}%; target ≤ 20%), ${cont.promptCached} from the shared prefix`,
  ],
  ['decoded tokens', `${cont.decoded} (the released completions' lengths)`],
  ['decode tok/s (whole run)', (cont.decoded / (cont.seconds - cont.prefixSeconds)).toFixed(1)],
  [
    'tokens/s while the batch is full',
    Number.isNaN(cont.steadySeconds)
      ? 'n/a (no queue: --problems ≤ --batch-size)'
      : `${(cont.steadyWork / (cont.steadySeconds - cont.prefixSeconds)).toFixed(1)} (prompt + decoded, first ${cont.steadySeconds.toFixed(0)} s)`,
  ],
  ['mean batch occupancy', cont.meanBatch.toFixed(1)],
  ['engine time: products / attention / rest', contSplit],
  ['run time', `${min(cont.seconds)} (prefix ${cont.prefixSeconds.toFixed(1)} s)`],
  ['projected, whole dataset', `${min(contProjected)}${target === null ? '' : ` (target ≤ ${target / 60} min: ${contProjected <= target ? 'pass' : 'FAIL'})`}`],
  ...(naiveM && naiveProjected !== null
    ? ([
        [
          'naive projected (no cache, static 16)',
          `${min(naiveProjected)} from ${naiveM.decoded} decoded tokens in ${min(naiveM.seconds)}; ${(naiveProjected / contProjected).toFixed(1)}x the scheduler`,
        ],
      ] as Array<[string, string]>)
    : []),
  ['llama.cpp', 'not measured here: pnpm bench infer --engine native,llama.cpp compares the engines'],
  ['peak RSS', `${formatBytes(rss)} (keys/values reserved at most ${formatBytes(cont.kvPeak)})`],
];
lm.dispose();
printBenchResult(
  `run bench: ${opt.data} cot on ${label}`,
  rows,
  {
    preset: opt.preset ?? null,
    checkpoint: dir,
    data: opt.data,
    isa: cpuIsa(),
    engine: lm.description,
    problems: Math.min(problems, all.length),
    dataset_problems: all.length,
    batch_size: maxBatch,
    kv_budget_bytes: kvBudgetBytes,
    seconds: +cont.seconds.toFixed(2),
    prefix_seconds: +cont.prefixSeconds.toFixed(2),
    projected_s: +contProjected.toFixed(1),
    target_s: target,
    prompt_tokens_computed: cont.promptComputed,
    prompt_tokens_cached: cont.promptCached,
    prompt_tokens_naive: cont.promptNaive,
    decoded_tokens: cont.decoded,
    decode_tokens_per_s: +(cont.decoded / (cont.seconds - cont.prefixSeconds)).toFixed(2),
    mean_batch: +cont.meanBatch.toFixed(2),
    time_split: contSplit,
    steady_tokens_per_s: Number.isNaN(cont.steadySeconds) ? null : +(cont.steadyWork / (cont.steadySeconds - cont.prefixSeconds)).toFixed(2),
    naive_projected_s: naiveProjected === null ? null : +naiveProjected.toFixed(1),
    naive_problems: naiveM ? Math.min(naiveProblems, all.length) : 0,
    peak_rss_mb: Math.round(rss / 2 ** 20),
    llama_cpp: null,
  },
  Boolean(opt.json),
);
