/**
 * What a gate measures: the demo's pipeline on a small recipe (validation losses, tokens trained,
 * slm's speed-up over clm, cot and tora accuracy of each model on the built-in benchmark) and
 * grading parity (the accuracy recomputed from each released outputs file under
 * <data dir>/reference-outputs).
 */
import { existsSync, readdirSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { LOCK_FILE, RhoError } from '@rho/core/base';
import { collectOutputFiles, scoreFile } from '@rho/eval';
import { DEMO_MODELS, runDemo, type DemoHooks } from '../demo/pipeline.ts';
import type { DemoRecipe } from '../demo/recipe.ts';
import type { MetricRule } from './baseline.ts';

/**
 * Regressions the gate must catch, injected on purpose to show it does (its own test uses them):
 * slm's selection made blind to the losses, the grader's numeric tolerance loosened, one training
 * step of every run dropped.
 */
export const INJECTIONS = ['random-selection', 'grader-tolerance', 'drop-step'] as const;
export type Injection = (typeof INJECTIONS)[number];

export function injected(recipe: DemoRecipe, inject: Injection | undefined): DemoRecipe {
  const p = recipe.preset;
  if (inject === 'random-selection') return { ...recipe, preset: { ...p, selectBy: 'random' } };
  if (inject === 'drop-step') {
    const drop = (r: typeof p.train) => ({ ...r, steps: r.steps - 1 });
    return { ...recipe, preset: { ...p, reference: drop(p.reference), train: drop(p.train) } };
  }
  return recipe;
}

/** The harness's numeric tolerance, and the loosened one of the grader-tolerance injection. */
const REL_TOL = { harness: 1e-4, injected: 1e-1 };

/** Accuracy recomputed from every released outputs file, keyed parity.<model>.<data>.<prompt type>. */
export async function gradingParity(dataDir: string, inject?: Injection): Promise<Record<string, number>> {
  const root = join(dataDir, 'reference-outputs');
  if (!existsSync(root))
    throw new RhoError('NOT_FOUND', 'no released outputs to check grading parity on', {
      file: root,
      hint: 'run `pnpm data fetch`, or point --data-dir / RHO_DATA_DIR at a data directory that has them',
    });
  const out: Record<string, number> = {};
  for (const f of collectOutputFiles(root).files) {
    const r = await scoreFile({ file: f.path, dataDir, equal: { relTol: inject === 'grader-tolerance' ? REL_TOL.injected : REL_TOL.harness } });
    const model = relative(root, f.path).split('/')[0]!;
    out[`parity.${model}.${r.data}.${r.promptType}`] = r.metrics.acc;
  }
  return out;
}

/** Each model's figures that the gate watches. */
const MODEL_FIELDS = ['val_loss', 'tokens', 'cot_acc', 'tora_acc'] as const;

export interface MeasureOptions {
  recipe: DemoRecipe;
  out: string;
  dataDir: string;
  inject?: Injection;
  hooks?: DemoHooks;
}

/**
 * Every metric of one gate run. The run directory is cleared first: a gate compares what the code
 * computes now, so nothing may be reused from a run made by other code. The output's lock (held
 * by the caller) stays.
 */
export async function measureGate(o: MeasureOptions): Promise<Record<string, number>> {
  if (existsSync(o.out)) for (const name of readdirSync(o.out)) if (name !== LOCK_FILE) rmSync(join(o.out, name), { recursive: true, force: true });
  const demo = await runDemo(injected(o.recipe, o.inject), o.out, o.hooks);
  const m: Record<string, number> = {};
  for (const name of DEMO_MODELS) for (const field of MODEL_FIELDS) m[`${name}.${field}`] = demo.models[name][field] ?? Number.NaN;
  // never reaching clm's final loss is no speed-up at all
  m['slm.speedup'] = demo.experiment.speedup ?? 0;
  return { ...m, ...(await gradingParity(o.dataDir, o.inject)) };
}

/** The metrics of the training and evaluation part, known before anything runs. */
export const PIPELINE_METRICS: readonly string[] = [...DEMO_MODELS.flatMap((m) => MODEL_FIELDS.map((f) => `${m}.${f}`)), 'slm.speedup'];

/** Tolerances for metrics a baseline does not have yet; a reviewed baseline's own win. */
export function defaultRule(metric: string): MetricRule {
  if (metric.startsWith('parity.') || metric.endsWith('.tokens')) return { tolerance: 0, better: 'equal' };
  if (metric.endsWith('.val_loss')) return { tolerance: 0.02, better: 'lower' };
  if (metric.endsWith('_acc')) return { tolerance: 5, better: 'higher' };
  if (metric === 'slm.speedup') return { tolerance: 0.25, better: 'higher' };
  return { tolerance: 0, better: 'equal' };
}
