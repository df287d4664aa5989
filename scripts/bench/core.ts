/**
 * `pnpm bench core [--preset tiny|small|base] [--precision both|fp32|bf16|auto] [--pytorch] [--json]`:
 * the model's cost on the backend in use: training tokens/s (forward +
 * backward + AdamW), scoring tokens/s (forward, per-token losses), decode tokens/s with the KV cache
 * at batch 1 and 16 and without it at batch 1 (prompt 64, 128 new tokens), peak RSS, and MFU
 * against the machine's measured BF16 matmul peak (oneDNN, 2048³). FP32 and BF16 side by side: each
 * precision runs in a child process of its own (so peak RSS is its own), and with --pytorch
 * scripts/bench/pytorch_core.py measures PyTorch the same way, in FP32 and under autocast.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import {
  createTrainerState,
  type DecoderChoice,
  generate,
  initBackendInfo,
  liveTensorCount,
  LlamaModel,
  loadNativeKernels,
  matmulPeakGflops,
  meanTokenLoss,
  mfu,
  type NativeKernels,
  nextInt,
  oneOf,
  positiveInt,
  PRESET_NAMES,
  reportAndExit,
  RhoError,
  presetConfig,
  presetTraining,
  resolveDecoder,
  rngFromSeed,
  setPrecision,
  type TokenBatch,
  tokenLossValues,
  trainStep,
} from '@rho/core';
import { printBenchResult } from './_table.ts';

const PROMPT = 64;
const NEW_TOKENS = 128;
const PEAK_N = 2048;

// strict: false keeps unknown flags harmless, as before
const { values: opt } = parseArgs({
  strict: false,
  options: {
    preset: { type: 'string', default: 'tiny' },
    steps: { type: 'string', default: '3' },
    micro: { type: 'string' },
    decoder: { type: 'string', default: 'auto' },
    precision: { type: 'string', default: 'both' },
    pytorch: { type: 'boolean' },
    threads: { type: 'string' },
    child: { type: 'boolean' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  console.log(`usage: pnpm bench core [--preset ${PRESET_NAMES.join('|')}] [--precision both|fp32|bf16|auto] [--pytorch] [--json] [--steps N]
  --preset     model and batch shape (default tiny)
  --precision  both (default: FP32 and, where the CPU has it, BF16 side by side), or one of them;
               each runs in a child process of its own
  --pytorch    also measure PyTorch (python3 with torch: apt-get install python3-torch) on the same
               preset and threads, in FP32 and under torch.autocast(bfloat16)
  --threads    threads for both (default: RHO_THREADS, else every core)
  --steps      timed training steps after one warm-up (default 3)
  --micro      split each batch into N micro-batches (gradient accumulation; scoring runs per
               micro-batch too): same tokens per step, less memory. Default 1; 4 for base, whose
               4×512×32000 logits and their gradients overflow the wasm heap in one piece
  --decoder    who runs cached decoding steps: auto (default: native on cpu/wasm when the addon is
               built), native or tfjs (model.forward per token)
  --json       one JSON object as the last line
  env RHO_BACKEND=cpu|wasm|..., RHO_NATIVE=0 for tfjs's own matmul and decoder`);
  process.exit(0);
}
// the child runs (--child) are not started through scripts/bench.ts: they report through the same reporter here
const fail = (msg: string): never => reportAndExit(new RhoError('RUNTIME', msg), 'bench core');
const preset = oneOf('--preset', PRESET_NAMES)(String(opt.preset));
const steps = positiveInt('--steps')(String(opt.steps));
const micro = positiveInt('--micro')(String(opt.micro ?? (preset === 'base' ? '4' : '1')));
const precisionArg = oneOf('--precision', ['both', 'auto', 'fp32', 'bf16'])(String(opt.precision));
const threadsArg = opt.threads === undefined ? process.env.RHO_THREADS : String(opt.threads);
if (threadsArg !== undefined) positiveInt('--threads')(threadsArg);
const decoderChoice: DecoderChoice = oneOf('--decoder', ['auto', 'native', 'tfjs'])(String(opt.decoder));
const json = opt.json === true;
const note = (s: string) => process.stderr.write(`bench core: ${s}\n`);

/** What one run (ours or PyTorch's, one precision) measures. */
interface Figures {
  precision: string;
  train_tokens_per_s: number;
  score_tokens_per_s: number;
  decode_b1_tokens_per_s: number;
  decode_b16_tokens_per_s: number;
  nocache_b1_tokens_per_s: number;
  peak_rss_mb: number;
  matmul_peak_gflops: number;
  [key: string]: unknown;
}

/** Best-of-`iters` GFLOPS of one n³ product through the addon's `gemm` (n² operands, no tfjs). */
function gemmPeak(kernels: NativeKernels, gemm: NativeKernels['gemmBf16Batched'], n: number, iters = 8): number {
  const a = Float32Array.from({ length: n * n }, (_, i) => ((i * 7) % 13) / 13 - 0.5);
  const b = Float32Array.from({ length: n * n }, (_, i) => ((i * 5) % 11) / 11 - 0.5);
  const c = new Float32Array(n * n);
  const zero = Int32Array.of(0);
  let best = Infinity;
  for (let i = 0; i <= iters; i++) {
    const t0 = performance.now();
    gemm.call(kernels, a, b, c, zero, zero, n, n, n, false, false);
    if (i > 0) best = Math.min(best, performance.now() - t0);
  }
  return (2 * n ** 3) / (best / 1000) / 1e9;
}

/** The addon's BF16 matmul peak (what MFU is measured against), or undefined without BF16. */
function bf16Peak(): number | undefined {
  const native = loadNativeKernels();
  if (!native.ok || !native.kernels.dnnlInfo().bf16) return undefined;
  return gemmPeak(native.kernels, native.kernels.gemmBf16Batched, PEAK_N);
}

/** One precision, in this process: the figures as one JSON line on stdout. */
async function measure(precision: 'auto' | 'fp32' | 'bf16'): Promise<void> {
  if (threadsArg) process.env.RHO_THREADS = threadsArg;
  setPrecision(precision);
  const info = await initBackendInfo();
  const decoder = resolveDecoder(decoderChoice);
  // measured on both sides of the training timing and the best kept: on a shared machine one
  // reading can land in a busy moment and inflate MFU
  const peaks = [bf16Peak()];
  const matmulBefore = await matmulPeakGflops(PEAK_N, 8);
  const config = presetConfig(preset);
  const { seqLen, batchSize, lr, weightDecay } = presetTraining(preset);
  const model = LlamaModel.init(config, 0);
  const rng = rngFromSeed(1);
  // ids ≥ 3 so no special token (bos/eos) is drawn
  const randomIds = (n: number) => Int32Array.from({ length: n }, () => 3 + nextInt(rng, config.vocabSize - 3));
  const timeIt = (fn: () => void): number => {
    const t0 = performance.now();
    fn();
    return (performance.now() - t0) / 1000;
  };

  // training: forward + backward + clipping + AdamW, preset batch
  const batch: TokenBatch = { ids: randomIds(batchSize * seqLen), batchSize, seqLen };
  if (batchSize % micro !== 0) fail(`--micro ${micro} does not divide the batch size ${batchSize}`);
  const rowsPer = batchSize / micro;
  const micros: TokenBatch[] = Array.from({ length: micro }, (_, i) => ({
    ids: batch.ids.subarray(i * rowsPer * seqLen, (i + 1) * rowsPer * seqLen),
    batchSize: rowsPer,
    seqLen,
  }));
  const state = createTrainerState(
    { schedule: { maxLr: lr, minLr: lr / 10, warmupSteps: 0, totalSteps: 1000 }, maxGradNorm: 1, adamw: { weightDecay } },
    { seed: 0 },
  );
  note(`${info.precision}: train ${preset}: ${batchSize}×${seqLen} tokens${micro > 1 ? ` in ${micro} micro-batches` : ''}, 1 warm-up + ${steps} steps`);
  trainStep(model, micros, meanTokenLoss, state);
  const tensorsBefore = liveTensorCount();
  const trainS = timeIt(() => {
    for (let i = 0; i < steps; i++) trainStep(model, micros, meanTokenLoss, state);
  });
  const tensorDrift = liveTensorCount() - tensorsBefore;
  const trainTps = (steps * batchSize * seqLen) / trainS;
  peaks.push(bf16Peak());
  const matmulPeak = Math.max(matmulBefore, await matmulPeakGflops(PEAK_N, 8));
  state.optimizer.dispose();

  // scoring: per-token losses of the same batch, no gradient
  const score = () => {
    for (const mb of micros) tokenLossValues(model, mb, { inference: true });
  };
  note(`${info.precision}: score`);
  score();
  const scoreReps = 2;
  const scoreTps =
    (scoreReps * batchSize * seqLen) /
    timeIt(() => {
      for (let i = 0; i < scoreReps; i++) score();
    });

  // decoding: prompt 64, 128 new tokens, never stopping early
  const prompts = (n: number) => Array.from({ length: n }, () => Array.from(randomIds(PROMPT)));
  const decode = (n: number, useCache: boolean) => {
    note(`${info.precision}: decode batch ${n}${useCache ? '' : ' without cache'}`);
    generate(model, prompts(n), { maxNewTokens: 4, eosId: null, useCache, decoder });
    const p = prompts(n);
    return (n * NEW_TOKENS) / timeIt(() => generate(model, p, { maxNewTokens: NEW_TOKENS, eosId: null, useCache, decoder }));
  };
  const b1 = decode(1, true);
  const b16 = decode(16, true);
  const nocache = decode(1, false);
  model.dispose();

  const bf16 = peaks.every((p) => p !== undefined) ? Math.max(...(peaks as number[])) : undefined;
  const addon = loadNativeKernels();
  const figures: Figures = {
    precision: info.precision,
    preset,
    micro_batches: micro,
    backend: info.name,
    matmul: info.matmul,
    isa: info.isa ?? null,
    threads: addon.ok ? (info.matmul === 'onednn' ? addon.kernels.dnnlThreads() : addon.kernels.threads()) : null,
    decoder,
    train_tokens_per_s: trainTps,
    score_tokens_per_s: scoreTps,
    decode_b1_tokens_per_s: b1,
    decode_b16_tokens_per_s: b16,
    nocache_b1_tokens_per_s: nocache,
    peak_rss_mb: process.resourceUsage().maxRSS / 1024,
    matmul_peak_gflops: matmulPeak,
    bf16_peak_gflops: bf16 ?? null,
    mfu: mfu(trainTps, config, seqLen, bf16 ?? matmulPeak),
    tensor_drift_per_step: tensorDrift / steps,
  };
  console.log(JSON.stringify(figures));
}

/** The last line of a child's stdout as JSON, or a failure naming the child. */
function lastJson(what: string, r: ReturnType<typeof spawnSync>): Figures {
  if (r.status !== 0) fail(`${what} failed (exit ${r.status ?? r.signal})`);
  const line = String(r.stdout).trim().split('\n').at(-1) ?? '';
  try {
    return JSON.parse(line) as Figures;
  } catch {
    return fail(`${what} printed no figures`);
  }
}

function runOurs(precision: string): Figures {
  const self = fileURLToPath(import.meta.url);
  const args = [
    '--import',
    'tsx',
    self,
    '--child',
    '--precision',
    precision,
    '--preset',
    preset,
    '--steps',
    String(steps),
    '--micro',
    String(micro),
    '--decoder',
    decoderChoice,
  ];
  if (threadsArg) args.push('--threads', threadsArg);
  // stderr passes through: the backend line and progress
  return lastJson(`the ${precision} run`, spawnSync(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 24 }));
}

/** A python with torch: python3 first, then Debian's (python3-torch installs there, not in a pyenv). */
function findTorchPython(): string | undefined {
  for (const py of ['python3', '/usr/bin/python3']) {
    const r = spawnSync(py, ['-c', 'import torch'], { stdio: 'ignore' });
    if (r.status === 0) return py;
  }
  return undefined;
}

function runPytorch(py: string, precision: 'fp32' | 'bf16', threads: number): Figures {
  const c = presetConfig(preset);
  const t = presetTraining(preset);
  const config = {
    vocab: c.vocabSize,
    d: c.hiddenSize,
    ffn: c.intermediateSize,
    layers: c.numHiddenLayers,
    heads: c.numAttentionHeads,
    kv_heads: c.numKeyValueHeads,
    eps: c.rmsNormEps,
    theta: c.ropeTheta,
    seq_len: t.seqLen,
    batch: t.batchSize,
    lr: t.lr,
    weight_decay: t.weightDecay,
  };
  const script = fileURLToPath(new URL('./pytorch_core.py', import.meta.url));
  const args = [script, '--config', JSON.stringify(config), '--precision', precision, '--threads', String(threads), '--steps', String(steps)];
  return lastJson(`PyTorch ${precision}`, spawnSync(py, args, { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8', maxBuffer: 1 << 24 }));
}

if (opt.child) {
  await measure(precisionArg as 'auto' | 'fp32' | 'bf16');
  process.exit(0);
}

// which precisions: both where the CPU has BF16, else FP32 alone (saying why)
const native = loadNativeKernels();
const dnnl = native.ok ? native.kernels.dnnlInfo() : undefined;
const hasBf16 = Boolean(dnnl?.bf16) && process.env.RHO_NATIVE !== '0';
let precisions: string[] = precisionArg === 'both' ? ['fp32', 'bf16'] : [precisionArg];
if (precisionArg === 'both' && !hasBf16) {
  note(`BF16 not measured: ${!native.ok ? native.reason : `oneDNN dispatches to ${dnnl!.isa}`}`);
  precisions = ['fp32'];
}
const ours = precisions.map(runOurs);
const threads = Number(ours[0]!.threads ?? threadsArg ?? 0) || (native.ok ? native.kernels.threads() : 2);

let torch: Partial<Record<'fp32' | 'bf16', Figures>> = {};
if (opt.pytorch) {
  const py = findTorchPython();
  if (!py) note('--pytorch: no python3 with torch found (apt-get install python3-torch); PyTorch not measured');
  else torch = Object.fromEntries((['fp32', 'bf16'] as const).map((p) => [p, runPytorch(py, p, threads)]));
}

const first = ours[0]!;
// the best reading of any run: on a shared machine each one can land in a busy moment
const peak = Math.max(0, ...ours.map((f) => Number(f.bf16_peak_gflops ?? 0))) || undefined;
const config = presetConfig(preset);
const { seqLen, batchSize } = presetTraining(preset);
const util = (f: Figures | undefined) => (f && peak ? mfu(f.train_tokens_per_s, config, seqLen, peak) : undefined);

// columns: ours per precision, then PyTorch's, then ours ÷ PyTorch in the same precision
const columns: Array<{ title: string; f: Figures }> = [
  ...ours.map((f) => ({ title: `ours ${f.precision}`, f })),
  ...(torch.fp32 ? [{ title: 'PyTorch fp32', f: torch.fp32 }] : []),
  ...(torch.bf16 ? [{ title: 'PyTorch autocast', f: torch.bf16 }] : []),
];
const ratioOf = (p: 'fp32' | 'bf16') => {
  const o = ours.find((f) => f.precision === p);
  const t = torch[p];
  return o && t ? { title: p === 'bf16' ? 'bf16÷autocast' : 'fp32÷fp32', o, t } : undefined;
};
const ratios = [ratioOf('fp32'), ratioOf('bf16')].filter((r) => r !== undefined);
const METRICS: Array<[string, keyof Figures, number]> = [
  ['train tokens/s', 'train_tokens_per_s', 0],
  ['score tokens/s', 'score_tokens_per_s', 0],
  ['decode b1 tokens/s (KV cache)', 'decode_b1_tokens_per_s', 0],
  ['decode b16 tokens/s (KV cache)', 'decode_b16_tokens_per_s', 0],
  ['decode b1 tokens/s (no cache)', 'nocache_b1_tokens_per_s', 0],
  ['peak RSS MB', 'peak_rss_mb', 0],
];
const W = 18;
const cell = (s: string) => s.padStart(W);
const rows: Array<[string, string]> = [
  ['', [...columns.map((c) => c.title), ...ratios.map((r) => r.title)].map(cell).join('')],
  ...METRICS.map(([label, key, digits]): [string, string] => [
    label,
    [...columns.map((c) => Number(c.f[key]).toFixed(digits)), ...ratios.map((r) => `${(Number(r.o[key]) / Number(r.t[key])).toFixed(2)}×`)].map(cell).join(''),
  ]),
  [
    'MFU (of the BF16 peak)',
    [
      ...columns.map((c) => {
        const u = util(c.f);
        return u === undefined ? '-' : `${(100 * u).toFixed(1)}%`;
      }),
    ]
      .map(cell)
      .join(''),
  ],
  [
    'matmul 2048² GFLOPS (as run)',
    columns
      .map((c) => Number(c.f.matmul_peak_gflops).toFixed(0))
      .map(cell)
      .join(''),
  ],
  [
    'tensors leaked per train step',
    ours
      .map((f) => String(f.tensor_drift_per_step))
      .map(cell)
      .join(''),
  ],
  ['KV-cache decoder', String(first.decoder)],
];
const isa = first.matmul === 'onednn' ? `oneDNN ${first.isa}` : String(first.matmul);
printBenchResult(
  `core bench: preset ${preset}, backend ${first.backend} (matmul: ${isa}, ${threads} threads), ${batchSize}×${seqLen} training batch${micro > 1 ? ` as ${micro} micro-batches` : ''}; ` +
    `BF16 peak ${peak ? `${peak.toFixed(0)} GFLOPS (oneDNN ${PEAK_N}³)` : 'not available'}`,
  rows,
  {
    // the first precision's figures at the top level (as before this bench compared precisions)
    ...first,
    isa: first.isa,
    bf16_peak_gflops: peak ?? null,
    mfu: util(first) ?? first.mfu,
    ...Object.fromEntries(ours.map((f) => [f.precision, { ...f, mfu: util(f) ?? f.mfu }])),
    ...(opt.pytorch ? { pytorch: Object.fromEntries(Object.entries(torch).map(([p, f]) => [p, { ...f, mfu: util(f) ?? null }])) } : {}),
  },
  json,
);
