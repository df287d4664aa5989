import { RhoError } from '@rho/core/base';
import { asdiv } from './asdiv.ts';
import { gsm8k } from './gsm8k.ts';
import { gsmHard } from './gsm_hard.ts';
import { math, minervaMath } from './math.ts';
import { mathqa } from './mathqa.ts';
import { mawps } from './mawps.ts';
import { mmluStem } from './mmlu_stem.ts';
import { satMath } from './sat_math.ts';
import { svamp } from './svamp.ts';
import { tabmwp } from './tabmwp.ts';
import type { DatasetSpec } from './types.ts';

/** Every benchmark the harness can load, by its data_name. */
export const DATASETS: Readonly<Record<string, DatasetSpec>> = Object.freeze(
  Object.fromEntries(
    [gsm8k, math, minervaMath, svamp, asdiv, mawps, tabmwp, satMath, gsmHard, mmluStem, mathqa].map((d) => [d.name, d]),
  ),
);

export const DATASET_NAMES: readonly string[] = Object.freeze(Object.keys(DATASETS));

/** The spec for a data_name; the folder name `math_oai` is accepted for minerva_math, as the harness does. */
export function getDataset(name: string): DatasetSpec {
  const spec = DATASETS[name === 'math_oai' ? 'minerva_math' : name];
  if (!spec) {
    throw new RhoError('BAD_CONFIG', `unknown dataset "${name}"; known: ${DATASET_NAMES.join(', ')}`, {
      field: 'dataset',
      expected: DATASET_NAMES,
      got: name,
    });
  }
  return spec;
}
