/**
 * `pnpm bench slm [--preset tiny|small|base] [--steps N] [--json]`: what selective training costs on
 * the backend in use: reference scoring tokens/s (forward + per-token losses), clm and slm (top 60%
 * by excess loss) training tokens/s through the same trainer step, and the slm step's overhead
 * over clm (median step times; clm and slm steps alternate, so machine load hits both alike),
 * and the cost of the selection alone, which is what slm adds to a step.
 */
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs-core';
import {
  createTrainerState,
  initBackend,
  LlamaModel,
  oneOf,
  positiveInt,
  presetConfig,
  presetTraining,
  PRESET_NAMES,
  trainStep,
  type TrainerState,
} from '@rho/core';
import { batchLosses, makeLossFn, selectWeightsTf, type SlmBatch, weightedLossTf } from '@rho/slm';
import { printBenchResult } from './_table.ts';

/** PyTorch's figures on this machine for the same model (small preset), printed beside ours. */
const PYTORCH = { clm: 1326, slm: 1294, score: 4304 };

// strict: false keeps unknown flags harmless, as before
const { values: opt } = parseArgs({
  strict: false,
  options: {
    preset: { type: 'string', default: 'small' },
    steps: { type: 'string', default: '5' },
    json: { type: 'boolean' },
    help: { type: 'boolean', short: 'h' },
  },
});
if (opt.help) {
  console.log(`usage: pnpm bench slm [--preset ${PRESET_NAMES.join('|')}] [--steps N] [--json]
  --preset   model and batch shape (default small)
  --steps    timed steps per mode after one warm-up each (default 5: slm's overhead is a few percent, so the median needs several)
  --json     one JSON object as the last line`);
  process.exit(0);
}
const preset = oneOf('--preset', PRESET_NAMES)(String(opt.preset));
const steps = positiveInt('--steps')(String(opt.steps));
const json = opt.json === true;

const backend = await initBackend();
const config = presetConfig(preset);
const { seqLen: T, batchSize: B, lr, weightDecay } = presetTraining(preset);
const model = LlamaModel.init(config, 0);
let seed = 12345;
const rnd = () => (seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31;
const ids = Int32Array.from({ length: B * T }, () => 3 + Math.floor(rnd() * (config.vocabSize - 3)));
const batch: SlmBatch = {
  ids,
  mask: new Int32Array(B * T).fill(1),
  batchSize: B,
  seqLen: T,
  valid: new Float32Array(B * (T - 1)).fill(1),
  nValid: B * (T - 1),
  reference: Float32Array.from({ length: B * (T - 1) }, () => rnd() * 8),
  noise: null,
};
const select = { ratio: 0.6, selectBy: 'excess' as const };
const state = (): TrainerState =>
  createTrainerState({ schedule: { maxLr: lr, minLr: lr / 10, warmupSteps: 0, totalSteps: 1000 }, maxGradNorm: 1, adamw: { weightDecay } }, { seed: 0 });
const states = { clm: state(), slm: state() };
const fns = { clm: makeLossFn('clm', select), slm: makeLossFn('slm', select) };
const step = (mode: 'clm' | 'slm') => {
  const t0 = performance.now();
  trainStep(model, batch, fns[mode], states[mode]);
  return (performance.now() - t0) / 1000;
};
const score = () => {
  const t0 = performance.now();
  batchLosses(model, ids, batch.mask, B, T);
  return (performance.now() - t0) / 1000;
};

step('clm');
step('slm');
score();
const times = { clm: [] as number[], slm: [] as number[], score: [] as number[] };
for (let i = 0; i < steps; i++) {
  // Alternate which mode goes first, so neither always follows the scoring pass.
  for (const mode of i % 2 ? (['slm', 'clm'] as const) : (['clm', 'slm'] as const)) times[mode].push(step(mode));
  times.score.push(score());
}
// The work slm adds to a step, timed alone: selection (top-k with tie-break) and the weighted loss.
const selectTimes: number[] = [];
const refT = tf.tensor2d(batch.reference!, [B, T - 1]);
const validT = tf.tensor2d(batch.valid, [B, T - 1]);
const lossesT = tf.randomUniform([B, T - 1], 0, 8) as tf.Tensor2D;
for (let i = 0; i < 21; i++) {
  const t0 = performance.now();
  const r = tf.tidy(() => {
    const w = selectWeightsTf(lossesT, refT, validT, batch.nValid, select);
    return [w, weightedLossTf(lossesT, w)];
  });
  r[0]!.dataSync();
  r[1]!.dataSync();
  tf.dispose(r);
  selectTimes.push((performance.now() - t0) / 1000);
}
tf.dispose([refT, validT, lossesT]);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const time = { clm: median(times.clm), slm: median(times.slm), score: median(times.score) };
const tokens = batch.nValid;
const clm = tokens / time.clm;
const slm = tokens / time.slm;
const scoreTps = tokens / time.score;
const overhead = time.slm / time.clm - 1;
const selectCost = median(selectTimes) / time.clm;
printBenchResult(
  `slm bench: preset ${preset} (batch ${B} x ${T}), backend ${backend}, ${steps} timed steps per mode`,
  [
    ['scoring tokens/s', scoreTps],
    ['clm training tokens/s', clm],
    ['slm training tokens/s (top 60%)', slm],
    ['slm step overhead over clm (median step)', `${(100 * overhead).toFixed(1)}%  (target < 3%; PyTorch +2.5%)`],
    ['selection alone, share of a clm step', `${(100 * selectCost).toFixed(2)}%  (${(1000 * median(selectTimes)).toFixed(1)} ms)`],
    ['scoring / clm training', `${(scoreTps / clm).toFixed(2)}x  (target >= 3x; PyTorch 3.2x)`],
    ...(preset === 'small'
      ? ([['PyTorch clm / slm / scoring tokens/s', `${PYTORCH.clm} / ${PYTORCH.slm} / ${PYTORCH.score}`]] as Array<[string, string]>)
      : []),
  ],
  {
    preset,
    backend,
    steps,
    score_tokens_per_s: scoreTps,
    clm_tokens_per_s: clm,
    slm_tokens_per_s: slm,
    slm_overhead: overhead,
    select_overhead: selectCost,
    score_over_train: scoreTps / clm,
  },
  json,
);
model.dispose();
