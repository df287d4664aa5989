import { gsm8k } from '../gsm8k.ts';
import type { DatasetSpec } from '../types.ts';
import { ARITH_DEFAULTS, arithRecords, fewShotText } from './generate.ts';

/**
 * The built-in benchmark: GSM8K's record format and answer rule, its own few-shot demos, and the
 * default test set generated when the data directory holds no data/arith files (`pnpm data arith`
 * writes them). Not in the default `pnpm eval` set: it measures small models the project trains.
 */
export const arith: DatasetSpec = {
  ...gsm8k,
  name: 'arith',
  dir: 'arith',
  family: 'arith',
  default: false,
  builtin: {
    records: (split) => arithRecords(split, ARITH_DEFAULTS),
    fewShot: (promptType) => (promptType === 'cot' || promptType === 'pal' || promptType === 'tora' ? fewShotText(ARITH_DEFAULTS.seed, promptType) : null),
  },
};
