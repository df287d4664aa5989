// core's index pulls in tensor code; the error class alone keeps scoring light (same module, same class).
import { RhoError } from '@rho/core/base';
import { arith } from './arith/spec.ts';
import { asdiv } from './asdiv.ts';
import { gsm8k } from './gsm8k.ts';
import { gsmHard } from './gsm_hard.ts';
import { HARNESS_ONLY } from './harness-names.ts';
import { math, minervaMath } from './math.ts';
import { mathqa } from './mathqa.ts';
import { mawps } from './mawps.ts';
import { mmluStem } from './mmlu_stem.ts';
import { satMath } from './sat_math.ts';
import { svamp } from './svamp.ts';
import { tabmwp } from './tabmwp.ts';
import type { BenchmarkRules, DatasetSpec } from './types.ts';

/**
 * Every benchmark the harness can load, by its data_name. The lists the rest of the package
 * uses (default run set, multiple-choice names, framings, few-shot files) derive from these
 * specs; the order here is the order of those lists.
 */
export const DATASETS: Readonly<Record<string, DatasetSpec>> = Object.freeze(
  Object.fromEntries([gsm8k, math, minervaMath, svamp, asdiv, mawps, tabmwp, satMath, gsmHard, mmluStem, mathqa, arith].map((d) => [d.name, d])),
);

export const DATASET_NAMES: readonly string[] = Object.freeze(Object.keys(DATASETS));

/** The benchmarks `pnpm eval` runs when no --data is given. */
export const DEFAULT_DATASET_NAMES: readonly string[] = Object.freeze(
  Object.values(DATASETS)
    .filter((d) => d.default)
    .map((d) => d.name),
);

const HARNESS_ONLY_BY_NAME = new Map(HARNESS_ONLY.map((r) => [r.name, r]));

/** Specs added at run time; tests use it to try a benchmark without shipping it. */
const registered = new Map<string, DatasetSpec>();

/**
 * Test-only: make a spec known by its name until the returned function is called. It does not
 * join DATASETS or the derived lists, only the look-ups by name.
 */
export function registerDataset(spec: DatasetSpec): () => void {
  if (findDataset(spec.name) || HARNESS_ONLY_BY_NAME.has(spec.name)) {
    throw new RhoError('BAD_CONFIG', `dataset "${spec.name}" is already known`, { field: 'dataset', got: spec.name });
  }
  registered.set(spec.name, spec);
  return () => void registered.delete(spec.name);
}

/** The spec named exactly `name`, or undefined. */
export function findDataset(name: string): DatasetSpec | undefined {
  return Object.hasOwn(DATASETS, name) ? DATASETS[name] : registered.get(name);
}

/** The spec for a data_name; a folder name is accepted for its dataset (math_oai: minerva_math), as the harness does. */
export function getDataset(name: string): DatasetSpec {
  const spec = findDataset(name) ?? [...Object.values(DATASETS), ...registered.values()].find((d) => d.dir === name);
  if (!spec) {
    throw new RhoError('BAD_CONFIG', `unknown dataset "${name}"; known: ${DATASET_NAMES.join(', ')}`, {
      field: 'dataset',
      expected: DATASET_NAMES,
      got: name,
    });
  }
  return spec;
}

/**
 * Scoring and prompting rules for a data_name: a loadable dataset's, or those of a name the
 * harness knows without data here (math_oai has its own: it is not minerva_math there).
 */
export function benchmarkRules(name: string): BenchmarkRules | undefined {
  return findDataset(name) ?? HARNESS_ONLY_BY_NAME.get(name);
}

/** Every shipped name with rules, for the derived lists: the loadable datasets, then the harness-only names. */
export const ALL_BENCHMARK_RULES: readonly BenchmarkRules[] = Object.freeze([...Object.values(DATASETS), ...HARNESS_ONLY]);
