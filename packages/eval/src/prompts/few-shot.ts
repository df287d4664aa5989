import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RhoError } from '@rho/core/base';
import { pyStrip } from '../datasets/pytext.ts';
import type { PromptType } from './types.ts';

/** Which dataset's few-shot file a dataset borrows (utils.py `load_prompt`). */
const FAMILY: Readonly<Record<string, string>> = Object.freeze({
  gsm_hard: 'gsm8k',
  svamp: 'gsm8k',
  tabmwp: 'gsm8k',
  asdiv: 'gsm8k',
  mawps: 'gsm8k',
  math_oai: 'math',
  sat_math: 'mmlu_stem',
});

/**
 * The few-shot files the harness ships (prompts/<type>/<family>.md). A combination outside
 * this list has no demos in the harness either (it prints an error and prompts zero-shot), so
 * it is zero-shot here too; a listed file that is missing is an incomplete data directory.
 */
export const SHIPPED_FEW_SHOT: Readonly<Record<string, readonly string[]>> = Object.freeze({
  cot: ['gsm8k', 'math', 'math_8shot', 'mathqa', 'minerva_math', 'mmlu_stem'],
  pal: ['gsm8k', 'math'],
  tora: ['gsm8k', 'math'],
});

export function fewShotFamily(dataName: string): string {
  return FAMILY[dataName] ?? dataName;
}

/** Path of the demo file relative to the data directory, or null when the mode uses none. */
export function fewShotFile(dataName: string, promptType: PromptType): string | null {
  if (promptType !== 'cot' && promptType !== 'pal') return null;
  const family = fewShotFamily(dataName);
  return SHIPPED_FEW_SHOT[promptType]?.includes(family) ? `prompts/${promptType}/${family}.md` : null;
}

/** The demos as the harness prepends them: file text stripped, then three newlines; '' if none. */
export function loadFewShot(dataDir: string, dataName: string, promptType: PromptType): string {
  const rel = fewShotFile(dataName, promptType);
  if (rel === null) return '';
  const file = join(dataDir, rel);
  if (!existsSync(file)) {
    throw new RhoError('NOT_FOUND', `few-shot prompt file missing`, {
      file,
      hint: 'run `pnpm data fetch` (or `pnpm data verify`) to complete the data directory',
    });
  }
  return pyStrip(readFileSync(file, 'utf8')) + '\n\n\n';
}
