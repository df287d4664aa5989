/**
 * Train, then evaluate, on the built-in benchmark: arith problems become a clean reference corpus,
 * a noisy training corpus and clean validation documents; the SLM experiment trains the reference,
 * scores the noisy corpus with it and trains clm and slm from one initialisation; then each of the
 * three final checkpoints is evaluated with cot and tora on held-out test problems through the
 * harness (`runEval`, the real Python sandbox). Every stage reuses what is already on disk, so a
 * killed run picks up where it stopped.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ARITH_DEFAULTS, arithDocuments, arithHeldOut, generateArithProblems, Interpreter, openModel, runEval, writeArith, type PromptType } from '@rho/eval';
import { readMetrics, runExperiment, type ExperimentResult, type StepRow } from '@rho/slm';
import { checkpointFingerprint } from '@rho/core/base';
import type { DemoRecipe } from './recipe.ts';

export const DEMO_MODELS = ['reference', 'clm', 'slm'] as const;
export type DemoModel = (typeof DEMO_MODELS)[number];

export interface ModelRow {
  /** Tokens the model trained on (every token of its batches; slm's loss used the selected share). */
  tokens: number;
  val_loss: number | null;
  cot_acc: number;
  tora_acc: number;
  /** Training plus both evaluations. */
  seconds: number;
  checkpoint: string;
}

export interface DemoResult {
  recipe: string;
  seed: number;
  run_dir: string;
  report: string | null;
  models: Record<DemoModel, ModelRow>;
  experiment: ExperimentResult;
  eval_problems: number;
  seconds: number;
}

export interface DemoHooks {
  log?: (line: string) => void;
  /** A training step of one of the three runs. */
  onStep?: (model: DemoModel, row: StepRow, steps: number) => void;
  /** Problems graded so far in one evaluation. */
  onEval?: (model: DemoModel, promptType: PromptType, done: number, total: number) => void;
}

/** The recipe with the run's seed: initialisation, data order, noise and training problems follow it. */
export function seeded(r: DemoRecipe, seed: number): DemoRecipe {
  return { ...r, preset: { ...r.preset, seed, noise: { ...r.preset.noise, seed: r.preset.noise.seed + seed } } };
}

/** Clean reference problems, noisy-corpus problems and validation problems: disjoint, none held out. */
export function demoDocuments(r: DemoRecipe): { reference: string[]; train: string[]; val: string[] } {
  const { reference, train, val } = r.preset.docs;
  const problems = generateArithProblems({
    seed: r.preset.seed,
    count: reference + train + val,
    stream: 'train',
    exclude: arithHeldOut(ARITH_DEFAULTS.seed, ARITH_DEFAULTS.test),
  });
  const docs = (from: number, n: number) => arithDocuments(problems.slice(from, from + n), { cotPerDoc: r.cotPerDoc });
  return { reference: docs(0, reference), train: docs(reference, train), val: docs(reference + train, val) };
}

/** Seconds a run spent in its steps, from its metrics rows (so a resumed run still reports its whole time). */
function trainingSeconds(rows: readonly StepRow[]): number {
  return rows.reduce((s, r) => s + (r.tokens_per_s > 0 ? r.tokens / r.tokens_per_s : 0), 0);
}

export async function runDemo(recipe: DemoRecipe, out: string, hooks: DemoHooks = {}): Promise<DemoResult> {
  const t0 = performance.now();
  const log = hooks.log ?? (() => {});
  const runDir = resolve(out);
  const benchmark = join(runDir, 'benchmark');
  if (!existsSync(join(benchmark, 'data', 'arith', 'test.jsonl'))) writeArith(benchmark, ARITH_DEFAULTS);

  const experiment = await runExperiment({
    preset: recipe.preset,
    presetName: recipe.name,
    docs: demoDocuments(recipe),
    out: runDir,
    report: true,
    log,
    onStep: (run, row, steps) => hooks.onStep?.(run, row, steps),
  });

  const models = {} as Record<DemoModel, ModelRow>;
  for (const name of DEMO_MODELS) {
    const checkpoint = experiment.checkpoints[name];
    const acc: Partial<Record<PromptType, number>> = {};
    let evalSeconds = 0;
    const model = await openModel([checkpoint], { batchSize: recipe.eval.batchSize, precision: recipe.precision });
    const executor = new Interpreter({ timeoutS: 5 });
    try {
      for (const promptType of ['cot', 'tora'] as const) {
        const r = await runEval(
          model,
          {
            data: 'arith',
            promptType,
            dataDir: benchmark,
            outDir: join(runDir, 'eval', name),
            limit: recipe.eval.problems,
            start: 0,
            end: -1,
            maxTokens: promptType === 'cot' ? recipe.eval.cotMaxTokens : recipe.eval.toraMaxTokens,
            temperature: 0,
            topP: 1,
            seed: 0,
            nSampling: 1,
            chunkSize: 2 * recipe.eval.batchSize,
            // a rerun after the checkpoint changed is refused, not reported with the old one's outputs
            model: { kind: 'checkpoint', fingerprint: checkpointFingerprint(checkpoint) },
          },
          { executor, onProgress: (done, total) => hooks.onEval?.(name, promptType, done, total) },
        );
        acc[promptType] = r.metrics.acc;
        evalSeconds += Number(r.metrics.time_use_in_second ?? 0);
        log(`${name} ${promptType}: acc ${r.metrics.acc.toFixed(1)} on ${r.metrics.num_samples} problems -> ${r.outPath}`);
      }
    } finally {
      await executor.dispose();
      await model.dispose?.();
    }
    const rows = readMetrics(join(experiment.runs[name], 'metrics.jsonl'), { readOnly: true });
    models[name] = {
      tokens: rows.at(-1)?.tokens_seen ?? 0,
      val_loss: experiment.valLoss[name],
      cot_acc: acc.cot!,
      tora_acc: acc.tora!,
      seconds: trainingSeconds(rows) + evalSeconds,
      checkpoint,
    };
  }
  return {
    recipe: recipe.name,
    seed: recipe.preset.seed,
    run_dir: runDir,
    report: experiment.report,
    models,
    experiment,
    eval_problems: recipe.eval.problems,
    seconds: (performance.now() - t0) / 1000,
  };
}
