/**
 * The metrics file beside an outputs file (`<stem>_<prompt>_metrics.json`): the harness's grading
 * result first, then what the run that generated the completions recorded about itself (time,
 * tokens, model, engine, ...). A live run writes both parts; `pnpm eval score` grades again and
 * keeps the run's part, which re-scoring cannot change, so the two write the same file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { RhoError } from '@rho/core/base';
import { METRIC_FIELDS, type Metrics } from '../rescore/metrics.ts';
import { metricsPathFor } from './layout.ts';

export type RunFacts = Record<string, unknown>;
export type MetricsFile = Metrics & RunFacts;

export function metricsFile(grading: Metrics, run: RunFacts): MetricsFile {
  return { ...grading, ...run };
}

/** The run's part of the metrics file beside `outputsPath`; empty when there is none (released outputs have only the grading part). */
export function runFactsBeside(outputsPath: string, promptType: string): RunFacts {
  const path = metricsPathFor(outputsPath, promptType);
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new RhoError('BAD_INPUT', `malformed metrics file: ${(e as Error).message}`, {
      file: path,
      hint: "remove it to re-score without the run's time and token counts",
    });
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new RhoError('BAD_INPUT', 'metrics file is not a JSON object', { file: path, hint: "remove it to re-score without the run's time and token counts" });
  }
  return Object.fromEntries(Object.entries(parsed).filter(([k]) => !METRIC_FIELDS.has(k)));
}
