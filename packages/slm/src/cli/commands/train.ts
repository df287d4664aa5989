import { Command, Option } from 'commander';
import { acquireOutputLock, int, num, progressBar, removeStaleTemps, setPrecision, type Precision } from '@rho/core';
import { SlmTrainConfig, parseWithSchema } from '../../trainer/config.ts';
import { runTraining } from '../../trainer/run.ts';
import { ensureBackend } from '../backend.ts';

interface Opts extends Record<string, unknown> {
  init: string;
  corpus: string;
  out: string;
  refScores?: string;
  precision?: Precision;
  repair?: boolean;
}

export default new Command('train')
  .description('train a model on a prepared corpus: clm (every token) or slm (top --ratio of tokens by excess loss)')
  .addOption(new Option('--mode <mode>', 'clm: all tokens; slm: selected tokens').choices(['clm', 'slm']).makeOptionMandatory())
  .requiredOption('--init <ckpt>', 'checkpoint to start from (pnpm core init); ignored when --out holds a checkpoint (resume)')
  .requiredOption('--corpus <dir>', 'prepared corpus (pnpm slm prepare)')
  .requiredOption('--out <dir>', 'run directory: run.json, metrics.jsonl, checkpoints/step-N')
  .option('--ref-scores <dir>', 'reference losses of the corpus (pnpm slm score), for --mode slm')
  .option('--ratio <r>', 'share of tokens selected, in (0, 1]', num('--ratio'))
  .addOption(
    new Option('--select-by <score>', 'excess = current − reference, current, reference (lowest first), or random (the control)').choices([
      'excess',
      'current',
      'reference',
      'random',
    ]),
  )
  .option('--reweight', 'soft weights sigmoid((score − cut)/temperature) instead of a hard top-k')
  .option('--temperature <t>', 'temperature of --reweight', num('--temperature'))
  .option('--steps <n>', 'optimizer steps', int('--steps'))
  .option('--batch-size <n>', 'windows per step', int('--batch-size'))
  .option('--seq-len <n>', 'window length (must match the scores)', int('--seq-len'))
  .option('--lr <x>', 'peak learning rate', num('--lr'))
  .option('--min-lr <x>', 'final learning rate of the cosine schedule', num('--min-lr'))
  .option('--warmup-steps <n>', 'linear warmup steps', int('--warmup-steps'))
  .option('--weight-decay <x>', 'AdamW weight decay', num('--weight-decay'))
  .option('--max-grad-norm <x>', 'global gradient-norm clip (0: off)', num('--max-grad-norm'))
  .option('--seed <n>', 'data order seed', int('--seed'))
  .option('--checkpoint-every <n>', 'steps between checkpoints', int('--checkpoint-every'))
  .option('--eval-every <n>', 'steps between validation losses', int('--eval-every'))
  .option('--eval-windows <n>', 'validation windows evaluated', int('--eval-windows'))
  .option('--repair', 'when the newest checkpoint fails its checksums: remove it (with a warning) and resume from the one before, instead of stopping')
  .addOption(
    new Option(
      '--precision <p>',
      'matrix products in bf16 (FP32 weights and optimizer, BF16 products) or fp32; auto: bf16 where the CPU has it (default RHO_PRECISION, else auto)',
    ).choices(['auto', 'bf16', 'fp32']),
  )
  .action(async (o: Opts) => {
    const { init, corpus, out, refScores, precision, repair, ...rest } = o;
    const cfg = parseWithSchema(SlmTrainConfig, Object.fromEntries(Object.entries(rest).filter(([, v]) => v !== undefined)), 'train options');
    if (precision) setPrecision(precision);
    await ensureBackend();
    const warn = (line: string) => process.stderr.write(`${line}\n`);
    // one writer per run directory; what a killed writer left half-written goes first
    const lock = acquireOutputLock(out, { warn });
    removeStaleTemps(out);
    const bar = progressBar(`train ${cfg.mode}`, cfg.steps);
    const { rows, model, resumedFrom } = await runTraining({
      repair,
      warn,
      ...cfg,
      init,
      corpus,
      out,
      refScores: refScores ?? null,
      select: { ratio: cfg.ratio, selectBy: cfg.selectBy, reweight: cfg.reweight, temperature: cfg.temperature },
      onStep: (r) =>
        bar.update(r.step, `loss ${r.loss.toFixed(3)}${r.val_loss !== undefined ? ` val ${r.val_loss.toFixed(3)}` : ''} ${Math.round(r.tokens_per_s)} tok/s`),
    });
    bar.stop();
    model.dispose();
    lock.release();
    const last = rows.at(-1);
    const val = rows.filter((r) => r.val_loss !== undefined).at(-1);
    if (resumedFrom > 0) process.stdout.write(`resumed from step ${resumedFrom}\n`);
    process.stdout.write(
      `${cfg.mode}: step ${last?.step ?? 0}, train loss ${last?.loss_all.toFixed(4)}, val loss ${val?.val_loss?.toFixed(4) ?? 'n/a'} -> ${out}\n`,
    );
  });
