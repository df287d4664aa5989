/**
 * `pnpm bench infer <ckpt> | --preset tinyllama-1.1b|mistral-7b [--json]`: the cost of inference on
 * a real-size checkpoint: load time, peak RSS, prompt tokens/s (one 512-token prompt,
 * up to its first generated token), decode tokens/s at batch 1 and 16 (64-token prompts, 128 new
 * tokens, never stopping early), beside llama.cpp's figures on the same machine and the targets.
 * Several engines or GGUF types (`--engine native,llama.cpp --type f16,q8_0`) run one after the
 * other, each in its own process (so each peak RSS is its own), and print side by side.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import {
  type CausalLm,
  convertToGguf,
  ENGINE_CHOICES,
  type EngineChoice,
  GGUF_OUT_TYPES,
  type GgufOutType,
  type GpuChoice,
  HUB_PRESET_NAMES,
  makeRng,
  openCausalLm,
  type Precision,
  PRECISION_CHOICES,
  weightFiles,
} from '@rho/core';
import { parseArgs } from 'node:util';
import { cpuIsa } from './_isa.ts';
import { engineTimeSplit } from './_engine-time.ts';
import { loadProgressBar, RhoError } from '@rho/core/base';
import { formatBytes, peakRssBytes } from '@rho/eval';
import { batchTarget, inferTargets, isTinyLlamaArchitecture, LLAMA_CPP, type SideBySideRun, sideBySideRatios, sideBySideTargets } from './_infer-targets.ts';
import { presetCheckpoint, presetCheckpointDir } from './_preset-checkpoint.ts';
import { printBenchResult } from './_table.ts';

const PROMPT_LONG = 512;
const PROMPT = 64;
const NEW_TOKENS = 128;

const { values: opt, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    preset: { type: 'string' },
    engine: { type: 'string' },
    precision: { type: 'string' },
    type: { type: 'string' },
    gpu: { type: 'string' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  console.log(`usage: pnpm bench infer <ckpt-dir> | --preset ${HUB_PRESET_NAMES.join('|')} [--engine E] [--precision P] [--json]
  <ckpt-dir>   a Hugging Face checkpoint directory
  --preset     instead: a random BF16 checkpoint of that architecture, written once (by
               \`pnpm core init --preset NAME --dtype bf16 --shards 2\`) to ${presetCheckpointDir('NAME')}
  --engine     ${ENGINE_CHOICES.join('|')} (default $RHO_ENGINE, else auto: native where built);
               a comma list runs each, side by side (e.g. native,llama.cpp)
  --precision  ${PRECISION_CHOICES.join('|')} (default auto: bf16 where the CPU has BF16 instructions)
  --type       llama.cpp: the GGUF weight type, ${GGUF_OUT_TYPES.join('|')} (the checkpoint converted once, kept
               in ${join(tmpdir(), 'rho-bench')}); a comma list runs each. Default: the stored dtype
  --gpu        llama.cpp: auto|cuda|vulkan|metal|none (default auto)
  --json       one JSON object as the last line (several runs: {cpu, runs: [...]})
Measures load time, peak RSS, prompt tokens/s (one ${PROMPT_LONG}-token prompt to its first new token),
decode tokens/s at batch 1 and 16 (${PROMPT}-token prompts, ${NEW_TOKENS} new tokens), and prints
llama.cpp's figures on this machine and the targets beside them.`);
  process.exit(0);
}
const fail = (field: string, message: string): never => {
  throw new RhoError('BAD_CONFIG', message, { field });
};
if ((positionals.length === 1) === (opt.preset !== undefined) || positionals.length > 1) fail('preset', 'give one checkpoint directory or --preset NAME');
if (opt.preset !== undefined && !HUB_PRESET_NAMES.includes(opt.preset as never))
  fail('preset', `--preset must be one of ${HUB_PRESET_NAMES.join(', ')}, got '${opt.preset}'`);
const engines = opt.engine?.split(',').map((e) => e.trim()) ?? [];
for (const e of engines) if (!ENGINE_CHOICES.includes(e as EngineChoice)) fail('engine', `--engine must be one of ${ENGINE_CHOICES.join(', ')}, got '${e}'`);
const types = opt.type?.split(',').map((t) => t.trim()) ?? [];
for (const t of types) if (!GGUF_OUT_TYPES.includes(t as GgufOutType)) fail('type', `--type must be one of ${GGUF_OUT_TYPES.join(', ')}, got '${t}'`);
if (types.length && !engines.includes('llama.cpp')) fail('type', '--type is the GGUF weight type of the llama.cpp engine: give --engine llama.cpp');
if (opt.precision !== undefined && !PRECISION_CHOICES.includes(opt.precision as Precision))
  fail('precision', `--precision must be one of ${PRECISION_CHOICES.join(', ')}, got '${opt.precision}'`);
const json = opt.json === true;
const note = (s: string) => process.stderr.write(`bench infer: ${s}\n`);

const source = opt.preset ? await presetCheckpoint(opt.preset, { log: note }) : positionals[0]!;

/** One run per engine (and per GGUF type for llama.cpp). */
const runs = engines.flatMap((e) =>
  e === 'llama.cpp' && types.length ? types.map((t) => ({ engine: e, type: t })) : [{ engine: e, type: undefined as string | undefined }],
);
if (runs.length > 1) {
  // each run in its own process: one engine's memory must not count in another's peak RSS
  const results: Record<string, unknown>[] = [];
  for (const r of runs) {
    note(`run: --engine ${r.engine}${r.type ? ` --type ${r.type}` : ''}`);
    const args = [...process.execArgv, process.argv[1]!, opt.preset ? `--preset=${opt.preset}` : source, `--engine=${r.engine}`, '--json'];
    if (r.type) args.push(`--type=${r.type}`);
    if (opt.precision) args.push(`--precision=${opt.precision}`);
    if (opt.gpu) args.push(`--gpu=${opt.gpu}`);
    const child = spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
    if (child.status !== 0)
      throw new RhoError('RUNTIME', `bench infer --engine ${r.engine}${r.type ? ` --type ${r.type}` : ''} failed (exit ${child.status})`, { field: 'engine' });
    results.push(JSON.parse(child.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>);
  }
  const col = (x: Record<string, unknown>) => `${x.engine}${x.gguf_type ? ` ${x.gguf_type}` : ''} (${x.weight_dtype})`;
  const cell = (x: unknown, d = 1) => (typeof x === 'number' ? x.toFixed(d) : String(x));
  const w = Math.max(...results.map((x) => col(x).length), 12);
  const line = (k: string, f: (x: Record<string, unknown>) => string) => [k, results.map((x) => f(x).padStart(w)).join('  ')] as [string, string];
  const ratios = sideBySideRatios(results as unknown as SideBySideRun[]);
  const targets = sideBySideTargets(results as unknown as SideBySideRun[]);
  const native = results.find((x) => x.engine === 'native');
  printBenchResult(
    `infer bench: ${opt.preset ?? source}, side by side`,
    [
      ['cpu', cpuIsa()],
      line('run', col),
      line('load s', (x) => cell(x.load_s, 2)),
      line('prompt tokens/s (512)', (x) => cell(x.prompt_tokens_per_s)),
      line('decode b1 tokens/s', (x) => cell(x.decode_b1_tokens_per_s, 2)),
      line('decode b16 tokens/s', (x) => cell(x.decode_b16_tokens_per_s)),
      line('peak RSS', (x) => formatBytes(x.peak_rss_bytes as number)),
      line('weights on disk', (x) => formatBytes(x.checkpoint_bytes as number)),
      ...ratios.map((r): [string, string] => [
        r.label,
        `prompt ${r.prompt.toFixed(2)}x, decode b1 ${r.decodeB1.toFixed(2)}x, decode b16 ${r.decodeB16.toFixed(2)}x`,
      ]),
      ...(native
        ? ([['native b16 / its b1', `${((native.decode_b16_tokens_per_s as number) / (native.decode_b1_tokens_per_s as number)).toFixed(2)}x`]] as Array<
            [string, string]
          >)
        : []),
      ...targets.map((t): [string, string] => [`issue 18: ${t.name}`, `${t.rule}: ${t.got.toFixed(2)}x ${t.ok ? 'pass' : 'FAIL'}`]),
      ...results.map((x, i) => [`engine ${i + 1}`, String(x.description)] as [string, string]),
    ],
    {
      cpu: cpuIsa(),
      checkpoint: source,
      preset: opt.preset ?? null,
      runs: results,
      ratios: ratios.map((r) => ({ label: r.label, prompt: +r.prompt.toFixed(3), decode_b1: +r.decodeB1.toFixed(3), decode_b16: +r.decodeB16.toFixed(3) })),
      targets,
    },
    json,
  );
  process.exit(0);
}
const engineChoice = engines[0] as EngineChoice | undefined;
const ggufType = types[0] as GgufOutType | undefined;

/**
 * The checkpoint as a GGUF file of `type`, converted once into the bench cache (never beside the
 * checkpoint, which may be read-only or shared); keyed by its path and weights' modification time.
 */
function ggufOf(dir: string, type: GgufOutType): string {
  const abs = resolve(dir);
  const stamp = weightFiles(abs)
    .files.map((f) => `${f}:${statSync(f).mtimeMs}`)
    .join('|');
  const key = createHash('sha256').update(stamp).digest('hex').slice(0, 12);
  const file = join(tmpdir(), 'rho-bench', `${basename(abs)}-${key}.${type}.gguf`);
  if (existsSync(file)) return file;
  note(`converting ${dir} to ${type} GGUF (once; later runs reuse ${file})`);
  const conv = loadProgressBar(`convert ${type}`);
  try {
    convertToGguf(dir, { type, out: file, onProgress: conv.onLoadProgress });
  } finally {
    conv.stop();
  }
  return file;
}
const dir = ggufType ? ggufOf(source, ggufType) : source;

const bar = loadProgressBar();
const t0 = performance.now();
let opened: Awaited<ReturnType<typeof openCausalLm>>;
try {
  opened = await openCausalLm(dir, {
    engine: engineChoice,
    precision: opt.precision as Precision | undefined,
    gpu: opt.gpu as GpuChoice | undefined,
    onLoadProgress: bar.onLoadProgress,
  });
} finally {
  bar.stop();
}
const loadS = (performance.now() - t0) / 1000;
const { lm, weightDtype, weightBytes } = opened;
const config = lm.config;
note(lm.description);

// ids ≥ 3 so no special token (bos/eos) is drawn
const rng = makeRng(1);
const randomIds = (n: number) => Array.from({ length: n }, () => 3 + Math.floor(rng() * (config.vocabSize - 3)));

/**
 * Seconds to the first new token (the prompt pass) and from there to the last (the decoding steps),
 * timed at generate's step callback so one figure does not carry the other's work.
 */
function timeGeneration(model: CausalLm, prompts: number[][], maxNewTokens: number): { prefillS: number; decodeS: number } {
  const start = performance.now();
  let first = Number.NaN;
  model.generate(prompts, { maxNewTokens, eosId: null, onStep: (s) => s === 1 && (first = performance.now()) });
  const end = performance.now();
  if (Number.isNaN(first)) first = start; // an engine without step reports: everything counts as decoding
  return { prefillS: (first - start) / 1000, decodeS: (end - first) / 1000 };
}

const timeSplit = () => engineTimeSplit(lm.engine);

try {
  // pages every weight in and sizes buffers, so the timed runs see a warm engine
  note('warm-up');
  timeGeneration(lm, [randomIds(32)], 2);
  timeSplit();

  note(`prompt: ${PROMPT_LONG} tokens`);
  const prompt = timeGeneration(lm, [randomIds(PROMPT_LONG)], 1);
  const promptTps = PROMPT_LONG / prompt.prefillS;
  const promptSplit = timeSplit();

  const decode = (batch: number) => {
    note(`decode: batch ${batch}, ${PROMPT}-token prompts, ${NEW_TOKENS} new tokens`);
    const t = timeGeneration(
      lm,
      Array.from({ length: batch }, () => randomIds(PROMPT)),
      NEW_TOKENS,
    );
    // the first new token came from the prompt pass; the other NEW_TOKENS − 1 were decoding steps
    return (batch * (NEW_TOKENS - 1)) / t.decodeS;
  };
  const b1 = decode(1);
  const b1Split = timeSplit();
  const b16 = decode(16);
  const b16Split = timeSplit();
  const batch18 = batchTarget(b1, b16);

  const rss = peakRssBytes();
  const tinyLlama = isTinyLlamaArchitecture(config);
  const targets = inferTargets(
    { promptTokensPerS: promptTps, decodeB1TokensPerS: b1, decodeB16TokensPerS: b16, peakRssBytes: rss, checkpointBytes: weightBytes },
    tinyLlama,
  );
  const verdict = (name: string) => {
    const t = targets.find((x) => x.name === name);
    return t ? `  issue 11 target ${t.rule}: ${t.ok ? 'pass' : 'FAIL'}` : '';
  };
  const cpp = (s: string) => (tinyLlama ? `   llama.cpp ${s}` : '');
  printBenchResult(
    `infer bench: ${opt.preset ?? dir} (${weightDtype}, ${formatBytes(weightBytes)} on disk)`,
    [
      ['cpu', cpuIsa()],
      ['engine', lm.description],
      ['load s', loadS],
      ['prompt tokens/s (512)', `${promptTps.toFixed(1).padStart(9)}${cpp(`${LLAMA_CPP.promptTokensPerS.join('-')}`)}${verdict('prompt tokens/s')}`],
      ['decode b1 tokens/s', `${b1.toFixed(2).padStart(9)}${cpp(String(LLAMA_CPP.decodeB1TokensPerS))}${verdict('decode b1 tokens/s')}`],
      ['decode b16 tokens/s', `${b16.toFixed(1).padStart(9)}   ${(b16 / b1).toFixed(1)}x b1${verdict('decode b16 tokens/s')}`],
      [
        'peak RSS',
        `${formatBytes(rss).padStart(9)}${cpp(formatBytes(LLAMA_CPP.residentBytes))}   ${(rss / weightBytes).toFixed(2)}x checkpoint${verdict('peak RSS bytes')}`,
      ],
      [
        'issue 18 targets',
        `b16 ${batch18.rule}: ${batch18.got.toFixed(2)}x ${batch18.ok ? 'pass' : 'FAIL'}; prompt and b1 against llama.cpp: run --engine native,llama.cpp --type f16`,
      ],
      ['time: products / attention / rest', `prompt ${promptSplit}, b1 ${b1Split}, b16 ${b16Split}`],
      ['llama.cpp', tinyLlama ? LLAMA_CPP.what : 'figures only for the TinyLlama-1.1B architecture'],
    ],
    {
      cpu: cpuIsa(),
      checkpoint: dir,
      preset: opt.preset ?? null,
      gguf_type: ggufType ?? null,
      engine: lm.engine,
      precision: lm.precision,
      description: lm.description,
      time_split: { prompt: promptSplit, decode_b1: b1Split, decode_b16: b16Split },
      weight_dtype: weightDtype,
      checkpoint_bytes: weightBytes,
      load_s: loadS,
      prompt_tokens: PROMPT_LONG,
      prompt_tokens_per_s: promptTps,
      decode_b1_tokens_per_s: b1,
      decode_b16_tokens_per_s: b16,
      peak_rss_bytes: rss,
      llama_cpp: tinyLlama
        ? {
            prompt_tokens_per_s: LLAMA_CPP.promptTokensPerS,
            decode_b1_tokens_per_s: LLAMA_CPP.decodeB1TokensPerS,
            resident_bytes: LLAMA_CPP.residentBytes,
            what: LLAMA_CPP.what,
          }
        : null,
      targets,
    },
    json,
  );
} finally {
  lm.dispose();
}
