/**
 * Re-scoring of model outputs, as the harness's evaluate.py does with execute=True: predictions
 * re-derived from each completion in `code`, the reference answer re-derived from the dataset
 * record, each pair graded by mathEqual. Any pred/gt/score already in the input is ignored.
 */
// core's index pulls in tensor code; the error class alone keeps scoring light (same module, same class).
import { RhoError } from '@rho/core/base';
import { extractProgram } from '../extract/program.ts';
import { findDataset } from '../datasets/registry.ts';
import { runExecute, type PalExecutor, type PalResult } from '../extract/run-execute.ts';
import { mathEqual, type EqualOptions } from '../grader/math-equal.ts';
import { groundTruthForScoring } from '../groundtruth/parse.ts';
import { computeMetrics, type Metrics } from './metrics.ts';

export interface OutputRecord {
  idx: number;
  code: (string | null)[];
  [key: string]: unknown;
}

export interface RescoredRecord extends OutputRecord {
  gt_cot: string;
  gt: string;
  pred: (string | null)[];
  report: (string | null)[];
  score: boolean[];
}

export interface RescoreInput {
  dataName: string;
  promptType: string;
  records: readonly OutputRecord[];
  /** idx -> raw dataset record (a line of data/<name>/test.jsonl; see datasetIndex). */
  dataset: ReadonlyMap<number, Record<string, unknown>>;
  executor?: PalExecutor;
  equal?: EqualOptions;
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
    const { gtCot, gt } = groundTruthForScoring(raw, input.dataName);
    const pred: (string | null)[] = [];
    const report: (string | null)[] = [];
    const score: boolean[] = [];
    for (const completion of rec.code) {
      const p = runExecute(completion, input.promptType, input.dataName, input.executor);
      pred.push(p.pred);
      report.push(p.report);
      const v = mathEqual(p.pred, gt, input.equal);
      if (v.reason === 'timeout') timeouts++;
      score.push(v.equal);
    }
    const type = 'type' in rec ? rec['type'] : raw['type'];
    const { pred: _p, gt: _g, score: _s, report: _r, gt_cot: _c, ...rest } = rec;
    const rescored: RescoredRecord = { ...rest, idx: rec.idx, gt_cot: gtCot, gt, code: rec.code, pred, report, score };
    if (type !== undefined) rescored['type'] = type;
    out.push(rescored);
    input.onRecord?.(n + 1, ordered.length);
  });
  return { records: out, metrics: computeMetrics(out, timeouts) };
}

/** Runs programs (pal's `solution()`), returning str(result) and the report, in input order. */
export type ProgramRunner = (programs: string[]) => Promise<{ result: string; report: string | null }[]>;

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
