/** The grading policies of gradeSample: the harness's output untouched by default, the strict verdicts beside or instead. */
import { describe, expect, it } from 'vitest';
import { datasetIndex, rescoreSamples, type OutputRecord } from './rescore.ts';

const GSM = datasetIndex([
  { question: 'a', answer: 'x\n#### 60' },
  { question: 'b', answer: 'y\n#### 3' },
  { question: 'c', answer: 'z\n#### 1' },
]);
const RECORDS: OutputRecord[] = [
  // the harness takes 60% as 60 (a percentage either way); Math-Verify reads 0.6
  { idx: 0, code: ['The share is $\\boxed{60\\%}$.'] },
  // the harness grades the text after "The answer is"; Math-Verify the number in it
  { idx: 1, code: ['The answer is 1 + 2 = 3.'] },
  { idx: 2, code: [null] },
];
const grade = (grader?: 'harness' | 'strict' | 'both') => rescoreSamples({ dataName: 'gsm8k', promptType: 'cot', dataset: GSM, records: RECORDS, grader });

describe('grading policies', () => {
  it('harness (the default) writes no strict field', () => {
    const { records, metrics } = grade();
    expect(grade('harness')).toEqual({ records, metrics });
    expect(records.map((r) => r.score[0])).toEqual([true, false, false]);
    expect(records.every((r) => !('strict_score' in r))).toBe(true);
    expect(metrics).toEqual({ num_samples: 3, num_scores: 3, timeout_samples: 0, empty_samples: 1, acc: 33.3 });
  });

  it('both keeps the harness fields as they were and adds the strict ones after them', () => {
    const harness = grade('harness');
    const { records, metrics } = grade('both');
    records.forEach((r, i) => {
      const { strict_pred, strict_gt, strict_score, ...rest } = r;
      expect(rest).toEqual(harness.records[i]);
      expect(Object.keys(r).slice(-3)).toEqual(['strict_pred', 'strict_gt', 'strict_score']);
    });
    expect(records.map((r) => r.strict_score![0])).toEqual([false, true, false]);
    expect(records.map((r) => r.strict_pred![0])).toEqual(['60\\%', '3', '']);
    expect(records[0]!.strict_gt).toBe('60');
    expect(metrics).toEqual({ ...harness.metrics, grader: 'both', strict_acc: 33.3, strict_timeout_samples: 0, disagreements: 2 });
  });

  it('strict puts its own readings in pred and score', () => {
    const { records, metrics } = grade('strict');
    expect(records.map((r) => r.score[0])).toEqual([false, true, false]);
    expect(records.map((r) => r.pred[0])).toEqual(['60\\%', '3', '']);
    expect(metrics).toMatchObject({ acc: 33.3, grader: 'strict', empty_samples: 1 });
  });

  it('compares choice letters on choice benchmarks', () => {
    const data = datasetIndex([{ question: 'q', options: 'a) 1 b) 2 c) 3', correct: 'c', rationale: 'r' }]);
    const { records } = rescoreSamples({
      dataName: 'mathqa',
      promptType: 'cot',
      dataset: data,
      records: [{ idx: 0, code: ['so the answer is C.'] }],
      grader: 'both',
    });
    expect(records[0]!.strict_score).toEqual([true]);
  });
});
