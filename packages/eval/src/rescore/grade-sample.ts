/**
 * Grading one sample, as the harness's evaluate.py does with execute=True: the ground truth
 * re-derived from the dataset record, a prediction from each completion in `code`, each
 * prediction compared with the ground truth. The one place a verdict is made: a live run
 * (`pnpm eval cot|tora|pal`) and `pnpm eval score` both grade through it.
 */
import { runExecute, type PalExecutor } from '../extract/run-execute.ts';
import { mathEqual, type EqualOptions } from '../grader/math-equal.ts';
import { groundTruthForScoring } from '../groundtruth/parse.ts';

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

export interface GradeOptions {
  dataName: string;
  promptType: string;
  /** pal/pot: the value of a program's solution(). */
  executor?: PalExecutor;
  /** Grader options (default: the harness's). */
  equal?: EqualOptions;
}

export interface GradedSample {
  record: RescoredRecord;
  /** Comparisons that ran out of time (each counts as wrong, as in the harness). */
  timeouts: number;
}

/**
 * Grades `rec` against its dataset record `raw`. Any pred/gt/score already in `rec` is ignored.
 * Fields keep their place and new ones are appended, as evaluate.py assigns into the sample
 * dict: a sample math_eval wrote (idx, question, gt_cot, gt, fields, code) comes out in the
 * published layout, and grading a graded file again leaves its bytes as they were.
 */
export function gradeSample(rec: OutputRecord, raw: Readonly<Record<string, unknown>>, o: GradeOptions): GradedSample {
  const { gtCot, gt } = groundTruthForScoring(raw, o.dataName);
  const pred: (string | null)[] = [];
  const report: (string | null)[] = [];
  const score: boolean[] = [];
  let timeouts = 0;
  for (const completion of rec.code) {
    const p = runExecute(completion, o.promptType, o.dataName, o.executor);
    pred.push(p.pred);
    report.push(p.report);
    const v = mathEqual(p.pred, gt, o.equal);
    if (v.reason === 'timeout') timeouts++;
    score.push(v.equal);
  }
  const record = { ...rec } as RescoredRecord;
  record.gt_cot = gtCot;
  record.gt = gt;
  record.pred = pred;
  record.report = report;
  record.score = score;
  // type_acc needs the subject; outputs stripped of it get the dataset's
  if (!('type' in rec) && raw['type'] !== undefined) record['type'] = raw['type'];
  return { record, timeouts };
}
