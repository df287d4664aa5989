/**
 * A train-then-evaluate recipe: the SLM experiment's preset (problem counts, tokenizer, noise,
 * model, the reference and training runs, the selection ratio) plus how the three models are
 * evaluated on the built-in benchmark. `pnpm demo` and every gate under data/gates/ read one.
 */
import { existsSync, readFileSync } from 'node:fs';
import { RhoError } from '@rho/core/base';
import { parsePreset, type Preset } from '@rho/slm';

export interface EvalPlan {
  /** The first N problems of the built-in arith test set. */
  problems: number;
  cotMaxTokens: number;
  toraMaxTokens: number;
  /** Sequences decoded together. */
  batchSize: number;
}

export interface DemoRecipe {
  name: string;
  file: string;
  description: string;
  /** `docs` counts problems; each becomes a cot demo block entry and a tora document. */
  preset: Preset;
  /** Problems per chain-of-thought training document (laid out as few-shot demos are). */
  cotPerDoc: number;
  eval: EvalPlan;
  /**
   * Matrix products of training, scoring and evaluation: bf16 where the CPU has it (auto) or fp32.
   * A gate uses fp32, whose rounding differs far less between CPUs than bf16's.
   */
  precision: 'auto' | 'bf16' | 'fp32';
}

const positiveInt = (x: unknown): x is number => typeof x === 'number' && Number.isInteger(x) && x > 0;

export function loadDemoRecipe(file: string, name: string): DemoRecipe {
  if (!existsSync(file)) throw new RhoError('NOT_FOUND', `no recipe "${name}"`, { file });
  let json: Record<string, unknown>;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    throw new RhoError('BAD_INPUT', `recipe is not JSON: ${(e as Error).message}`, { file });
  }
  const extra = Object.keys(json).find((k) => !['description', 'preset', 'cotPerDoc', 'eval', 'precision'].includes(k));
  if (extra) throw new RhoError('BAD_INPUT', `unknown recipe field "${extra}"`, { file, field: extra });
  if (typeof json.description !== 'string') throw new RhoError('BAD_INPUT', 'recipe needs a description', { file, field: 'description' });
  if (!positiveInt(json.cotPerDoc)) throw new RhoError('BAD_INPUT', 'cotPerDoc must be a positive integer', { file, field: 'cotPerDoc', got: json.cotPerDoc });
  const ev = json.eval as Record<string, unknown> | undefined;
  const keys = ['problems', 'cotMaxTokens', 'toraMaxTokens', 'batchSize'] as const;
  if (typeof ev !== 'object' || ev === null) throw new RhoError('BAD_INPUT', 'recipe needs an eval section', { file, field: 'eval' });
  for (const k of Object.keys(ev))
    if (!(keys as readonly string[]).includes(k)) throw new RhoError('BAD_INPUT', `unknown eval field "${k}"`, { file, field: `eval.${k}` });
  const count = (k: (typeof keys)[number]): number => {
    const v = ev[k];
    if (!positiveInt(v)) throw new RhoError('BAD_INPUT', `eval.${k} must be a positive integer`, { file, field: `eval.${k}`, got: v });
    return v;
  };
  const plan: EvalPlan = {
    problems: count('problems'),
    cotMaxTokens: count('cotMaxTokens'),
    toraMaxTokens: count('toraMaxTokens'),
    batchSize: count('batchSize'),
  };
  const precision = json.precision ?? 'auto';
  if (precision !== 'auto' && precision !== 'bf16' && precision !== 'fp32')
    throw new RhoError('BAD_INPUT', 'precision must be auto, bf16 or fp32', { file, field: 'precision', got: precision });
  return {
    name,
    precision,
    file,
    description: json.description,
    preset: parsePreset(json.preset, `${file} preset`),
    cotPerDoc: json.cotPerDoc as number,
    eval: plan,
  };
}
