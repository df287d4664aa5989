/**
 * `pnpm bench core [--preset tiny|small|base] [--json] [--steps N]`: what issue 4 asks of the model
 * on the backend in use: training tokens/s (forward + backward + AdamW), scoring tokens/s (forward,
 * per-token losses), decode tokens/s with the KV cache at batch 1 and 16 and without it at batch 1
 * (prompt 64, 128 new tokens), peak RSS, and MFU against a measured 2048² matmul peak. PyTorch's
 * figures on the same 2-core machine are printed beside ours.
 */
import { parseArgs } from 'node:util';
import { initBackendInfo, matmulPeakGflops } from '../../packages/core/src/backend/index.ts';
import { generate, LlamaModel, presetConfig, presetTraining, PRESET_NAMES, resolveDecoder, type DecoderChoice } from '../../packages/core/src/index.ts';
import { createTrainerState, liveTensorCount, meanTokenLoss, mfu, nextInt, rngFromSeed, tokenLossValues, trainStep, type TokenBatch } from '../../packages/core/src/train/index.ts';
import { printBenchResult } from './_table.ts';

/** Issue 4: PyTorch 1.13, OpenBLAS, 2 threads, fp32, this machine; 1024² matmul peak ~195 GFLOPS. */
const PYTORCH: Record<string, { train: number; score: number; b1: number; b16: number; nocache: number; mfu: number }> = {
  tiny: { train: 8656, score: 32097, b1: 666, b16: 3381, nocache: 173, mfu: 0.39 },
  small: { train: 1326, score: 4304, b1: 170, b16: 1012, nocache: 30, mfu: 0.62 },
  base: { train: 442, score: 1477, b1: 39, b16: 286, nocache: 11, mfu: 0.61 },
};
const PROMPT = 64;
const NEW_TOKENS = 128;

// strict: false keeps unknown flags harmless, as before
const { values: opt } = parseArgs({
  strict: false,
  options: { preset: { type: 'string', default: 'tiny' }, steps: { type: 'string', default: '3' }, micro: { type: 'string' }, decoder: { type: 'string', default: 'auto' }, json: { type: 'boolean' }, help: { type: 'boolean', short: 'h' } },
});
if (opt.help) {
  console.log(`usage: pnpm bench core [--preset ${PRESET_NAMES.join('|')}] [--json] [--steps N]
  --preset   model and batch shape (default tiny)
  --steps    timed training steps after one warm-up (default 3)
  --micro    split each batch into N micro-batches (gradient accumulation; scoring runs per
             micro-batch too): same tokens per step, less memory. Default 1; 4 for base, whose
             4×512×32000 logits and their gradients overflow the wasm heap in one piece
  --decoder  who runs cached decoding steps: auto (default: native on cpu/wasm when the addon is
             built), native (the addon's fused step) or tfjs (model.forward per token)
  --json     one JSON object as the last line
  env RHO_BACKEND=cpu|wasm|..., RHO_NATIVE=0 for tfjs's own matmul and decoder`);
  process.exit(0);
}
const preset = String(opt.preset);
const steps = Number(opt.steps);
const micro = Number(opt.micro ?? (preset === 'base' ? '4' : '1'));
if (!PRESET_NAMES.includes(preset as never)) {
  console.error(`bench core: unknown preset '${preset}'; known: ${PRESET_NAMES.join(', ')}`);
  process.exit(1);
}
if (!Number.isInteger(steps) || steps < 1) {
  console.error(`bench core: --steps must be a positive integer, got ${opt.steps}`);
  process.exit(1);
}
const json = opt.json === true;
if (!Number.isInteger(micro) || micro < 1) {
  console.error(`bench core: --micro must be a positive integer, got ${opt.micro}`);
  process.exit(1);
}
const decoderChoice = String(opt.decoder) as DecoderChoice;
if (!['auto', 'native', 'tfjs'].includes(decoderChoice)) {
  console.error(`bench core: --decoder must be auto, native or tfjs, got '${decoderChoice}'`);
  process.exit(1);
}
const note = (s: string) => process.stderr.write(`bench core: ${s}\n`);

const info = await initBackendInfo();
const decoder = resolveDecoder(decoderChoice);
// measured on both sides of the training timing and the best kept: on a shared machine one
// reading can land in a busy moment and inflate MFU. 2048² (about 0.1 s a product here) rather than
// 1024²: five 1024² products span ~60 ms, short enough for one busy moment to spoil them all (MFU
// above 100% was seen).
const PEAK_N = 2048;
const peakBefore = await matmulPeakGflops(PEAK_N, 8);
const config = presetConfig(preset);
const { seqLen, batchSize, lr, weightDecay } = presetTraining(preset);
const model = LlamaModel.init(config, 0);
const rng = rngFromSeed(1);
// ids ≥ 3 so no special token (bos/eos) is drawn
const randomIds = (n: number) => Int32Array.from({ length: n }, () => 3 + nextInt(rng, config.vocabSize - 3));

async function timeIt(fn: () => void | Promise<void>): Promise<number> {
  const t0 = performance.now();
  await fn();
  return (performance.now() - t0) / 1000;
}

// training: forward + backward + clipping + AdamW, preset batch
const batch: TokenBatch = { ids: randomIds(batchSize * seqLen), batchSize, seqLen };
if (batchSize % micro !== 0) {
  console.error(`bench core: --micro ${micro} does not divide the batch size ${batchSize}`);
  process.exit(1);
}
const rowsPer = batchSize / micro;
const micros: TokenBatch[] = Array.from({ length: micro }, (_, i) => ({ ids: batch.ids.subarray(i * rowsPer * seqLen, (i + 1) * rowsPer * seqLen), batchSize: rowsPer, seqLen }));
const state = createTrainerState({ schedule: { maxLr: lr, minLr: lr / 10, warmupSteps: 0, totalSteps: 1000 }, maxGradNorm: 1, adamw: { weightDecay } }, { seed: 0 });
note(`train ${preset}: ${batchSize}×${seqLen} tokens${micro > 1 ? ` in ${micro} micro-batches` : ''}, 1 warm-up + ${steps} steps`);
trainStep(model, micros, meanTokenLoss, state);
const tensorsBefore = liveTensorCount();
const trainS = await timeIt(() => {
  for (let i = 0; i < steps; i++) trainStep(model, micros, meanTokenLoss, state);
});
const tensorDrift = liveTensorCount() - tensorsBefore;
const trainTps = (steps * batchSize * seqLen) / trainS;
const peak = Math.max(peakBefore, await matmulPeakGflops(PEAK_N, 8));
state.optimizer.dispose();

// scoring: per-token losses of the same batch, no gradient
const score = () => {
  for (const mb of micros) tokenLossValues(model, mb, { inference: true });
};
note('score');
score();
const scoreReps = 2;
const scoreS = await timeIt(() => {
  for (let i = 0; i < scoreReps; i++) score();
});
const scoreTps = (scoreReps * batchSize * seqLen) / scoreS;

// decoding: prompt 64, 128 new tokens, never stopping early
const prompts = (n: number) => Array.from({ length: n }, () => Array.from(randomIds(PROMPT)));
const decode = async (n: number, useCache: boolean) => {
  note(`decode batch ${n}${useCache ? '' : ' without cache'}`);
  generate(model, prompts(n), { maxNewTokens: 4, eosId: null, useCache, decoder });
  const p = prompts(n);
  const s = await timeIt(() => {
    generate(model, p, { maxNewTokens: NEW_TOKENS, eosId: null, useCache, decoder });
  });
  return (n * NEW_TOKENS) / s;
};
const b1 = await decode(1, true);
const b16 = await decode(16, true);
const nocache = await decode(1, false);
model.dispose();

const peakRssMb = process.resourceUsage().maxRSS / 1024;
const util = mfu(trainTps, config, seqLen, peak);
const ref = PYTORCH[preset]!;
const row = (label: string, ours: number, theirs: number, digits = 0): [string, string] => [label, `${ours.toFixed(digits).padStart(9)}   PyTorch ${theirs.toFixed(digits).padStart(7)}   (${((100 * ours) / theirs).toFixed(0)}%)`];
printBenchResult(
  `core bench: preset ${preset}, backend ${info.name} (matmul ${info.matmul}), ${batchSize}×${seqLen} training batch${micro > 1 ? ` as ${micro} micro-batches` : ''}`,
  [
    row('train tokens/s', trainTps, ref.train),
    row('score tokens/s', scoreTps, ref.score),
    ['KV-cache decoder', decoder],
    row('decode b1 tokens/s (KV cache)', b1, ref.b1),
    row('decode b16 tokens/s (KV cache)', b16, ref.b16),
    row('decode b1 tokens/s (no cache)', nocache, ref.nocache),
    ['KV-cache speed-up at b1', `${(b1 / nocache).toFixed(1).padStart(9)}   PyTorch ${(ref.b1 / ref.nocache).toFixed(1).padStart(7)}`],
    ['MFU', `${(100 * util).toFixed(1).padStart(8)}%   PyTorch ${(100 * ref.mfu).toFixed(0).padStart(6)}%`],
    [`matmul ${PEAK_N}² peak GFLOPS`, peak],
    ['peak RSS MB', Math.round(peakRssMb)],
    ['tensors leaked per train step', tensorDrift / steps],
  ],
  {
    preset,
    micro_batches: micro,
    backend: info.name,
    matmul: info.matmul,
    decoder,
    train_tokens_per_s: trainTps,
    score_tokens_per_s: scoreTps,
    decode_b1_tokens_per_s: b1,
    decode_b16_tokens_per_s: b16,
    nocache_b1_tokens_per_s: nocache,
    peak_rss_mb: peakRssMb,
    mfu: util,
    matmul_peak_gflops: peak,
    tensor_drift_per_step: tensorDrift / steps,
  },
  json,
);
