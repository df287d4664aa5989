/**
 * The harness's `extract_answer`: which part of a completion is the answer, by the benchmark's
 * answer kind (see free-answer.ts for the free-form rule, multi-choice.ts for letters).
 */
import { benchmarkRules, DATASETS } from '../datasets/registry.ts';
import type { AnswerKind } from '../datasets/types.ts';
import { extractFreeAnswer } from './free-answer.ts';
import { extractMultiChoice } from './multi-choice.ts';

export { findAnswerSpan } from './free-answer.ts';

/** The loadable benchmarks whose answers are a choice letter. */
export const MULTI_CHOICE_DATASETS: readonly string[] = Object.freeze(
  Object.values(DATASETS)
    .filter((d) => d.answer === 'choice')
    .map((d) => d.name),
);

export function extractAnswerAs(text: string, kind: AnswerKind): string {
  return kind === 'choice' ? extractMultiChoice(text) : extractFreeAnswer(text);
}

/** By data_name; a name the project does not know is read free-form, as the harness does. */
export function extractAnswer(text: string, dataName: string): string {
  return extractAnswerAs(text, benchmarkRules(dataName)?.answer ?? 'expression');
}
