/**
 * Re-scoring of model outputs, as the harness's evaluate.py does with execute=True: each record
 * graded by gradeSample against its dataset record, then the harness's metrics. A live run grades
 * its samples here too, so its files and `pnpm eval score`'s are the same.
 */
// core's index pulls in tensor code; the error class alone keeps scoring light (same module, same class).
import { RhoError } from '@rho/core/base';
import { extractProgram } from '../extract/program.ts';
import { findDataset } from '../datasets/registry.ts';
import type { PalExecutor, PalResult } from '../extract/run-execute.ts';
import type { EqualOptions } from '../grader/math-equal.ts';
import type { StrictOptions } from '../strict/verify.ts';
import type { ProgramExecutor } from '../interpreter/types.ts';
import { gradeSample, type GraderPolicy, type OutputRecord, type RescoredRecord } from './grade-sample.ts';
import { metricsForPolicy, type Metrics } from './metrics.ts';

export type { OutputRecord, RescoredRecord } from './grade-sample.ts';

export interface RescoreInput {
  dataName: string;
  promptType: string;
  records: readonly OutputRecord[];
  /** idx -> raw dataset record (a line of data/<name>/test.jsonl; see datasetIndex). */
  dataset: ReadonlyMap<number, Record<string, unknown>>;
  executor?: PalExecutor;
  equal?: EqualOptions;
  /** Which grader decides (default: the harness). */
  grader?: GraderPolicy;
  strict?: Partial<StrictOptions>;
  /** Called after each record (progress bars). */
  onRecord?: (done: number, total: number) => void;
}

export interface RescoreResult {
  records: RescoredRecord[];
  metrics: Metrics;
}

/** The harness's dataset layout: records keyed by their `idx`, or by line order without one. */
export function datasetIndex(rows: readonly Record<string, unknown>[]): Map<number, Record<string, unknown>> {
  const map = new Map<number, Record<string, unknown>>();
  rows.forEach((row, i) => {
    const idx = typeof row['idx'] === 'number' ? row['idx'] : i;
    map.set(idx, row);
  });
  return map;
}

/** Maps the output folder's dataset name to the data folder it reads (minerva_math is math_oai); unknown names are their own folder. */
export function dataFolderFor(dataName: string): string {
  return findDataset(dataName)?.dir ?? dataName;
}

export function rescoreSamples(input: RescoreInput): RescoreResult {
  // Deduplicate by idx (the last wins) and sort, as evaluate.py does.
  const byIdx = new Map<number, OutputRecord>();
  for (const r of input.records) byIdx.set(r.idx, r);
  const ordered = [...byIdx.values()].sort((a, b) => a.idx - b.idx);

  let timeouts = 0;
  let strictTimeouts = 0;
  const out: RescoredRecord[] = [];
  ordered.forEach((rec, n) => {
    const raw = input.dataset.get(rec.idx);
    if (!raw) {
      throw new RhoError('BAD_INPUT', `output record idx ${rec.idx} has no dataset record in ${input.dataName}`, {
        field: 'idx',
        got: rec.idx,
        hint: 'check that the outputs and the data directory are for the same dataset and split',
      });
    }
    if (!Array.isArray(rec.code)) throw new RhoError('BAD_INPUT', `output record idx ${rec.idx} has no "code" list`, { field: 'code' });
    const graded = gradeSample(rec, raw, input);
    timeouts += graded.timeouts;
    strictTimeouts += graded.strictTimeouts;
    out.push(graded.record);
    input.onRecord?.(n + 1, ordered.length);
  });
  return { records: out, metrics: metricsForPolicy(out, timeouts, strictTimeouts, input.grader ?? 'harness') };
}

/** Runs programs (pal's `solution()`), returning str(result) and the report, in input order. */
export type ProgramRunner = (programs: string[]) => Promise<{ result: string; report: string | null }[]>;

/** A ProgramRunner over a sandbox: Python programs in pal mode (without `timeoutS`, the sandbox's own limit). */
export function sandboxRunner(executor: ProgramExecutor, timeoutS?: number): ProgramRunner {
  return (programs) =>
    executor.execBatch(
      programs.map((code) => ({ code, lang: 'python' as const })),
      { mode: 'pal', ...(timeoutS !== undefined ? { timeoutS } : {}) },
    );
}

/**
 * rescoreSamples for prompt types whose predictions come from running programs (pal/pot): every
 * distinct program is run once through `runPrograms` (the sandbox), then scoring goes on as usual.
 */
export async function rescoreSamplesAsync(input: Omit<RescoreInput, 'executor'> & { runPrograms?: ProgramRunner }): Promise<RescoreResult> {
  const { runPrograms, ...rest } = input;
  if (input.promptType !== 'pal' && input.promptType !== 'pot') return rescoreSamples(rest);
  if (!runPrograms) {
    throw new RhoError('UNSUPPORTED', `prompt type ${input.promptType} needs a program runner to derive predictions`, {
      field: 'promptType',
      hint: 'pass runPrograms (the Python sandbox)',
    });
  }
  const programs = new Set<string>();
  for (const r of input.records) for (const c of r.code) if (c && c !== 'error') programs.add(extractProgram(c));
  const list = [...programs];
  const results = await runPrograms(list);
  const byProgram = new Map<string, PalResult>(list.map((p, i) => [p, { prediction: results[i]?.result ?? '', report: results[i]?.report ?? null }]));
  const executor: PalExecutor = (program) => byProgram.get(program) ?? { prediction: '', report: 'not run' };
  return rescoreSamples({ ...rest, executor });
}
