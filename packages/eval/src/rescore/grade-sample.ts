/**
 * Grading one sample, as the harness's evaluate.py does with execute=True: the ground truth
 * re-derived from the dataset record, a prediction from each completion in `code`, each
 * prediction compared with the ground truth. The one place a verdict is made: a live run
 * (`pnpm eval cot|tora|pal`) and `pnpm eval score` both grade through it.
 */
import { benchmarkRules } from '../datasets/registry.ts';
import { runExecute, type PalExecutor } from '../extract/run-execute.ts';
import { mathEqual, type EqualOptions } from '../grader/math-equal.ts';
import { groundTruthForScoring } from '../groundtruth/parse.ts';
import { strictGrade, type StrictTarget } from '../strict/grade-answer.ts';
import type { StrictOptions } from '../strict/verify.ts';

/**
 * Which grader decides: the Python harness's (the default: what reproduces the published tables),
 * Math-Verify's semantics ('strict'), or both, the harness's in pred/score and the strict ones
 * beside them in strict_pred/strict_gt/strict_score.
 */
export type GraderPolicy = 'harness' | 'strict' | 'both';
export const GRADER_POLICIES: readonly GraderPolicy[] = ['harness', 'strict', 'both'];

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
  /** --grader both: the strict grader's reading of each prediction, of the gold answer, and its verdicts. */
  strict_pred?: string[];
  strict_gt?: string;
  strict_score?: boolean[];
}

export interface GradeOptions {
  dataName: string;
  promptType: string;
  /** pal/pot: the value of a program's solution(). */
  executor?: PalExecutor;
  /** Grader options (default: the harness's). */
  equal?: EqualOptions;
  /** Which grader decides (default: the harness). */
  grader?: GraderPolicy;
  /** Options of the strict grader (default: Math-Verify's). */
  strict?: Partial<StrictOptions>;
}

export interface GradedSample {
  record: RescoredRecord;
  /** Comparisons that ran out of time (each counts as wrong, as in the harness). */
  timeouts: number;
  /** The strict grader's comparisons that ran out of time (with --grader strict or both). */
  strictTimeouts: number;
}

function strictTarget(dataName: string, promptType: string): StrictTarget {
  return {
    choice: benchmarkRules(dataName)?.answer === 'choice',
    programOutput: promptType === 'pal' || promptType === 'pot' || promptType.includes('program_only'),
  };
}

/**
 * Grades `rec` against its dataset record `raw`. Any pred/gt/score already in `rec` is ignored.
 * Fields keep their place and new ones are appended, as evaluate.py assigns into the sample
 * dict: a sample math_eval wrote (idx, question, gt_cot, gt, fields, code) comes out in the
 * published layout, and grading a graded file again leaves its bytes as they were.
 */
export function gradeSample(rec: OutputRecord, raw: Readonly<Record<string, unknown>>, o: GradeOptions): GradedSample {
  const { gtCot, gt } = groundTruthForScoring(raw, o.dataName);
  const policy = o.grader ?? 'harness';
  const target = policy === 'harness' ? null : strictTarget(o.dataName, o.promptType);
  const pred: (string | null)[] = [];
  const report: (string | null)[] = [];
  const score: boolean[] = [];
  const strictPred: string[] = [];
  const strictScore: boolean[] = [];
  let strictGt = '';
  let timeouts = 0;
  let strictTimeouts = 0;
  for (const completion of rec.code) {
    const p = runExecute(completion, o.promptType, o.dataName, o.executor);
    report.push(p.report);
    if (policy !== 'strict') {
      pred.push(p.pred);
      const v = mathEqual(p.pred, gt, o.equal);
      if (v.reason === 'timeout') timeouts++;
      score.push(v.equal);
    }
    if (target) {
      const text = target.programOutput ? p.pred : completion && completion !== 'error' ? completion : null;
      const v = strictGrade(text, { gt, solution: gtCot }, target, o.strict);
      if (v.timedOut) strictTimeouts++;
      strictPred.push(v.pred);
      strictScore.push(v.equal);
      strictGt = v.gt;
    }
  }
  const record = { ...rec } as RescoredRecord;
  record.gt_cot = gtCot;
  record.gt = gt;
  record.pred = policy === 'strict' ? strictPred : pred;
  record.report = report;
  record.score = policy === 'strict' ? strictScore : score;
  if (policy === 'both') {
    record.strict_pred = strictPred;
    record.strict_gt = strictGt;
    record.strict_score = strictScore;
  }
  // type_acc needs the subject; outputs stripped of it get the dataset's
  if (!('type' in rec) && raw['type'] !== undefined) record['type'] = raw['type'];
  return { record, timeouts: policy === 'strict' ? strictTimeouts : timeouts, strictTimeouts };
}
