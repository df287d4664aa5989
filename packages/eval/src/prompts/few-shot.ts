import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError } from '@rho/core/base';
import { pyStrip } from '../normalize/python.ts';
import { ALL_BENCHMARK_RULES, benchmarkRules, findDataset } from '../datasets/registry.ts';
import { PROMPT_TYPES, type PromptType } from './types.ts';

/**
 * The few-shot files the harness ships (prompts/<type>/<family>.md) that some benchmark here
 * uses, from the specs' `family` and `fewShot`. A combination outside this list has no demos in
 * the harness either (it prints an error and prompts zero-shot), so it is zero-shot here too; a
 * listed file that is missing is an incomplete data directory.
 */
export const SHIPPED_FEW_SHOT: Readonly<Record<string, readonly string[]>> = Object.freeze(
  Object.fromEntries(
    PROMPT_TYPES.map((t) => [t, [...new Set(ALL_BENCHMARK_RULES.filter((r) => r.fewShot.includes(t)).map((r) => r.family))].sort()] as const).filter(
      ([, families]) => families.length > 0,
    ),
  ),
);

/** Which dataset's few-shot file a dataset borrows (utils.py `load_prompt`). */
export function fewShotFamily(dataName: string): string {
  return benchmarkRules(dataName)?.family ?? dataName;
}

/** Path of the demo file relative to the data directory, or null when the mode uses none. */
export function fewShotFile(dataName: string, promptType: PromptType): string | null {
  if (promptType !== 'cot' && promptType !== 'pal') return null;
  const rules = benchmarkRules(dataName);
  return rules?.fewShot.includes(promptType) ? `prompts/${promptType}/${rules.family}.md` : null;
}

/**
 * The demos as the harness prepends them: file text stripped, then three newlines; '' if none.
 * A built-in benchmark supplies the text itself when the data directory has no such file.
 */
export function loadFewShot(dataDir: string, dataName: string, promptType: PromptType): string {
  const rel = fewShotFile(dataName, promptType);
  if (rel === null) return '';
  const file = join(dataDir, rel);
  const text = existsSync(file) ? readFileSync(file, 'utf8') : findDataset(dataName)?.builtin?.fewShot(promptType);
  if (text === undefined || text === null) {
    throw new RhoError('NOT_FOUND', `few-shot prompt file missing`, {
      file,
      hint: 'run `pnpm data fetch` (or `pnpm data verify`) to complete the data directory',
    });
  }
  return `${pyStrip(text)}\n\n\n`;
}
